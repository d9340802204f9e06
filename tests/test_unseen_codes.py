"""Codes we cannot see: a delete the cloud says is of nothing, a timed-out add, rounded dates."""
import time

from checkin.extensions import db
from checkin.locks import LockBusy, PasscodeOnLock
from checkin.models import CheckIn, LockCode, PinState
from checkin.pins import revoke_pin
from conftest import codes_on
from test_pin_generation import wait_for_job

FRONT_DOOR, ROOM_1 = 1001, 2001
HOUR_MS = 3600 * 1000


def test_a_delete_answered_not_found_looks_for_our_code_under_another_id(app, guest, demo, cloud):
    guest.find_booking()
    guest.give_details()
    wait_for_job(app)
    with app.app_context():
        code = db.session.scalar(db.select(LockCode).join(LockCode.lock).where(LockCode.lock.has(ttlock_id=ROOM_1)))
        code.passcode_id = 99999  # the id we hold is not the one the cloud lists
        db.session.commit()
        revoke_pin(db.session.scalar(db.select(CheckIn)))
    for _ in range(250):  # the codes come off in the background
        if not codes_on(app, ROOM_1):
            break
        time.sleep(0.02)
    assert codes_on(app, FRONT_DOOR) == codes_on(app, ROOM_1) == []
    assert ("delete", ROOM_1, 99999) in cloud.calls


def test_a_timed_out_add_is_adopted_when_the_locks_dates_are_rounded_by_less_than_an_hour(
    app, guest, demo, cloud, monkeypatch
):
    cloud.write_then_fail[ROOM_1] = [LockBusy("The TTLock cloud did not answer in 40 seconds.")]
    find = cloud.find_passcode

    def rounded(lock_id, pin):
        found = find(lock_id, pin)
        if found is None:
            return None
        return PasscodeOnLock(found.passcode_id, found.pin, found.name, found.start_ms - HOUR_MS // 2,
                              found.end_ms + HOUR_MS // 2 - 1)

    monkeypatch.setattr(cloud, "find_passcode", rounded)
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.READY and check_in.pin_attempts == 1
    assert [code.pin for code in codes_on(app, ROOM_1)] == [check_in.pin]


def test_a_code_an_hour_off_is_not_ours(app, guest, demo, cloud, monkeypatch):
    cloud.write_then_fail[ROOM_1] = [LockBusy("The TTLock cloud did not answer in 40 seconds.")]
    find = cloud.find_passcode

    def shifted(lock_id, pin):
        found = find(lock_id, pin)
        return found and PasscodeOnLock(found.passcode_id, found.pin, found.name, found.start_ms + HOUR_MS, found.end_ms)

    monkeypatch.setattr(cloud, "find_passcode", shifted)
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_attempts == 2  # not adopted: the first attempt failed


def test_a_job_that_gives_up_leaves_no_code_of_ours_including_an_earlier_pin_that_landed_late(
    app, guest, demo, cloud, monkeypatch
):
    # Attempt 1: the room lock's add times out, yet the code lands after we looked for it.
    cloud.write_then_fail[ROOM_1] = [LockBusy("The TTLock cloud did not answer in 40 seconds.")]
    monkeypatch.setattr(cloud, "find_passcode", lambda lock_id, pin: None)
    # Attempt 2: the room lock's add fails outright.
    add = cloud.add_passcode
    room_adds = []

    def second_room_add_fails(lock_id, pin, *args):
        if lock_id == ROOM_1:
            room_adds.append(pin)
            if len(room_adds) == 2:
                raise LockBusy("Could not reach the TTLock cloud.")
        return add(lock_id, pin, *args)

    monkeypatch.setattr(cloud, "add_passcode", second_room_add_fails)
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.FAILED
    assert len(room_adds) == 2 and room_adds[1] == check_in.pin  # the late one was the earlier PIN
    assert codes_on(app, FRONT_DOOR) == codes_on(app, ROOM_1) == []


def test_a_pin_that_works_at_the_second_try_leaves_no_stray_code_of_the_first(app, guest, demo, cloud, monkeypatch):
    cloud.write_then_fail[ROOM_1] = [LockBusy("The TTLock cloud did not answer in 40 seconds.")]
    find = cloud.find_passcode
    looks = []

    def late(lock_id, pin):  # the first look misses the code, which lands just after
        looks.append(pin)
        return None if len(looks) == 1 else find(lock_id, pin)

    monkeypatch.setattr(cloud, "find_passcode", late)
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.READY and check_in.pin_attempts == 2
    assert [code.pin for code in codes_on(app, ROOM_1)] == [check_in.pin]
    assert [code.pin for code in codes_on(app, FRONT_DOOR)] == [check_in.pin]
