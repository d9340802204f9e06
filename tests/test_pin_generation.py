"""The PIN job: one PIN per booking, on both locks or on neither, retried once."""
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import Guest, codes_on, shows_pin

from checkin.clock import to_epoch_ms
from checkin.extensions import db
from checkin.locks import DuplicatePasscode, LockBusy, LockUnreachable, PasscodeRejected
from checkin.models import CheckIn, LockCode, PinState, SimulatedPasscode
from checkin.pins import placement
from checkin.pins.placement import choose_pin, is_acceptable_pin

FRONT_DOOR, ROOM_1 = 1001, 2001


def wait_for_job(app):
    """Let this process's PIN jobs finish, then read the check-in."""
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        app.extensions["pin_jobs"].wait(check_in.id, timeout=10)
        db.session.refresh(check_in)
        return check_in


@pytest.mark.parametrize("pin", ["0123", "1234", "4321", "7890", "1111", "1212", "123", "12345", "１２３４", "12a4"])
def test_pins_tt_lock_refuses_are_never_chosen(pin):
    assert not is_acceptable_pin(pin)


def test_acceptable_pins():
    assert all(is_acceptable_pin(pin) for pin in ["1000", "1357", "9021", "2025", "5115"])


def test_choose_pin_avoids_excluded():
    excluded = {str(n) for n in range(1000, 10000)} - {"4827"}
    assert choose_pin(excluded) == "4827"


def test_posting_details_makes_one_pin_on_front_door_then_room(app, guest, demo, cloud):
    guest.find_booking()
    assert guest.give_details().headers["Location"] == "/parking"
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.READY
    assert is_acceptable_pin(check_in.pin)
    assert [call[:2] for call in cloud.calls] == [("add", FRONT_DOOR), ("add", ROOM_1)]
    for lock_id in (FRONT_DOOR, ROOM_1):
        (code,) = codes_on(app, lock_id)
        assert code.pin == check_in.pin
        assert code.name == "Guest 40321"


def test_code_is_valid_for_the_stay_in_the_property_zone(app, guest, demo, cloud):
    guest.find_booking()
    guest.give_details()
    wait_for_job(app)
    (code,) = codes_on(app, FRONT_DOOR)
    with app.app_context():
        booking = db.session.scalar(db.select(CheckIn)).booking
        from checkin.clock import at_property_time

        assert code.start_ms == to_epoch_ms(at_property_time(booking.check_in_date, "15:00"))
        assert code.end_ms == to_epoch_ms(at_property_time(booking.check_out_date, "11:00"))


def test_details_posted_again_while_pending_make_no_second_job(app, guest, demo, cloud):
    cloud.gate.clear()
    guest.find_booking()
    guest.give_details()
    guest.give_details(full_name="Alex T")  # back button, post again
    second_tab = Guest(guest.client)
    second_tab.give_details(full_name="Alex Tab")
    other_browser = Guest(app.test_client())
    other_browser.find_booking()
    other_browser.give_details(full_name="Alex Other")
    cloud.gate.set()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.READY
    assert check_in.full_name == "Alex Other"  # the answers are updated, the job is not repeated
    assert len(codes_on(app, FRONT_DOOR)) == len(codes_on(app, ROOM_1)) == 1
    assert len([c for c in cloud.calls if c[0] == "add"]) == 2


def test_details_posted_again_when_ready_keep_the_pin(app, guest, demo, cloud):
    guest.find_booking()
    guest.give_details()
    first_pin = wait_for_job(app).pin
    guest.give_details(email="new@example.com")
    check_in = wait_for_job(app)
    assert check_in.pin == first_pin
    assert len(codes_on(app, FRONT_DOOR)) == 1


def test_details_posted_at_once_from_two_browsers_start_one_job(app, demo, cloud):
    cloud.gate.clear()
    guests = [Guest(app.test_client()) for _ in range(4)]
    for each in guests:
        each.find_booking()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda each: each.give_details(), guests))
    cloud.gate.set()
    wait_for_job(app)
    assert len(codes_on(app, FRONT_DOOR)) == 1
    assert len(codes_on(app, ROOM_1)) == 1


def test_room_lock_failing_once_is_retried_and_leaves_no_half_pin(app, guest, demo, cloud):
    cloud.failures[("add", ROOM_1)] = [LockUnreachable("gateway offline")]
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.READY
    assert check_in.pin_attempts == 2
    # The first attempt's front-door code was removed before the retry.
    assert [call[0] for call in cloud.calls] == ["add", "add", "delete", "add", "add"]
    assert [code.pin for code in codes_on(app, FRONT_DOOR)] == [check_in.pin]
    assert [code.pin for code in codes_on(app, ROOM_1)] == [check_in.pin]


def test_failing_twice_rolls_back_and_tells_the_owner(app, guest, demo, cloud, caplog):
    cloud.failures[("add", ROOM_1)] = [LockBusy("Could not reach the TTLock cloud.")] * 2
    guest.find_booking()
    guest.give_details()
    with caplog.at_level(logging.ERROR, logger="checkin.services.alerts"):
        check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.FAILED
    assert check_in.pin_attempts == 2
    assert check_in.pin_error == "Could not reach the TTLock cloud."
    assert codes_on(app, FRONT_DOOR) == codes_on(app, ROOM_1) == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).where(LockCode.removed_at.is_(None))) == 0
    (alert,) = [r for r in caplog.records if r.name == "checkin.services.alerts"]
    assert "40321" in alert.getMessage() and "TTLock cloud" in alert.getMessage()
    assert not shows_pin(alert.getMessage(), check_in.pin)


def test_a_failed_pin_can_be_started_again(app, guest, demo, cloud):
    cloud.failures[("add", FRONT_DOOR)] = [LockBusy("cloud unreachable")] * 2
    guest.find_booking()
    guest.give_details()
    assert wait_for_job(app).pin_state == PinState.FAILED
    guest.give_details()
    assert wait_for_job(app).pin_state == PinState.READY


def test_owners_own_code_with_the_same_pin_makes_the_job_pick_another(app, guest, demo, cloud, monkeypatch):
    """The owner's code 2580, unknown to the app, is on the front door; the job first picks 2580."""
    with app.app_context():
        db.session.add(SimulatedPasscode(lock_ttlock_id=FRONT_DOOR, pin="2580", name="Cleaner", start_ms=0, end_ms=1))
        db.session.commit()
    picks = iter(["2580"])
    monkeypatch.setattr(placement.secrets, "choice", lambda candidates: next(picks, candidates[-1]))
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.READY
    assert check_in.pin == "9998"  # the last acceptable candidate
    assert sorted(code.pin for code in codes_on(app, FRONT_DOOR)) == ["2580", "9998"]
    assert check_in.pin_attempts == 1


def test_timed_out_add_that_reached_the_lock_is_adopted(app, guest, demo, cloud):
    """The add wrote the code but our side timed out: the job finds the code and adopts it."""
    cloud.write_then_fail[ROOM_1] = [LockBusy("Timed out waiting for the gateway.")]
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.READY
    assert [code.pin for code in codes_on(app, ROOM_1)] == [check_in.pin]
    assert [code.pin for code in codes_on(app, FRONT_DOOR)] == [check_in.pin]
    assert check_in.pin_attempts == 1


def test_someone_elses_code_with_our_pin_is_not_adopted(app, guest, demo, cloud):
    cloud.failures[("add", ROOM_1)] = [DuplicatePasscode("exists")]
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.READY
    first_pin = cloud.calls[0][2]
    assert check_in.pin != first_pin
    assert [code.pin for code in codes_on(app, FRONT_DOOR)] == [check_in.pin]


def test_pin_refused_by_the_lock_picks_another(app, guest, demo, cloud):
    cloud.failures[("add", ROOM_1)] = [PasscodeRejected("too simple")]
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.READY
    assert check_in.pin_attempts == 1
    adds = [call for call in cloud.calls if call[0] == "add"]
    assert adds[0][2] != check_in.pin
    assert len(codes_on(app, FRONT_DOOR)) == 1


def test_a_crashing_job_is_recorded_as_failed(app, guest, demo, cloud, caplog):
    cloud.failures[("add", FRONT_DOOR)] = [KeyError("internal detail")]
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.FAILED
    assert "Internal error" in check_in.pin_error
    assert any("crashed" in record.getMessage() for record in caplog.records)


def test_no_pin_in_any_log_line(app, guest, demo, cloud, caplog):
    cloud.failures[("add", ROOM_1)] = [LockUnreachable("offline")]
    with caplog.at_level(logging.DEBUG):
        guest.check_in()
        check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.READY
    assert caplog.records
    assert not any(shows_pin(record.getMessage(), check_in.pin) for record in caplog.records)


def test_each_pins_commands_go_to_the_gateway_back_to_back(app, demo, cloud):
    """In a burst, the first guest's PIN reaches both locks before the next guest's starts."""
    cloud.gate.clear()
    guests = [Guest(app.test_client()) for _ in range(2)]
    for each, (reference, surname) in zip(guests, [("40321", "Testington"), ("40322", "Sampleton")]):
        each.find_booking(reference, surname)
        each.give_details()
    cloud.gate.set()
    for check_in_id in (1, 2):
        app.extensions["pin_jobs"].wait(check_in_id, timeout=10)
    with app.app_context():
        names = db.session.scalars(db.select(SimulatedPasscode.name).order_by(SimulatedPasscode.id)).all()
    assert names in (["Guest 40321"] * 2 + ["Guest 40322"] * 2, ["Guest 40322"] * 2 + ["Guest 40321"] * 2)


def on_gateways(app, gateways: dict[int, int]) -> None:
    """Put locks behind gateways, as `locks check` records them."""
    from checkin.models import Lock

    with app.app_context():
        for lock in db.session.scalars(db.select(Lock)):
            lock.gateway_id = gateways.get(lock.ttlock_id)
        db.session.commit()


def test_locks_behind_different_gateways_get_the_pin_at_the_same_time(app, guest, demo, cloud, monkeypatch):
    import threading

    on_gateways(app, {FRONT_DOOR: 1, ROOM_1: 2})
    both_in_flight = threading.Barrier(2, timeout=5)
    add = cloud.add_passcode

    def add_once_the_other_is_in_flight(*args):
        both_in_flight.wait()  # breaks (and fails the PIN) if the adds came one after the other
        return add(*args)

    monkeypatch.setattr(cloud, "add_passcode", add_once_the_other_is_in_flight)
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.READY
    assert [code.pin for code in codes_on(app, FRONT_DOOR)] == [code.pin for code in codes_on(app, ROOM_1)] == [
        check_in.pin]


def test_locks_behind_one_gateway_get_the_pin_one_after_the_other(app, guest, demo, cloud, monkeypatch):
    import threading

    on_gateways(app, {FRONT_DOOR: 1, ROOM_1: 1})
    in_flight, most = [0], [0]
    guard = threading.Lock()
    add = cloud.add_passcode

    def counted(*args):
        with guard:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            return add(*args)
        finally:
            with guard:
                in_flight[0] -= 1

    monkeypatch.setattr(cloud, "add_passcode", counted)
    guest.find_booking()
    guest.give_details()
    assert wait_for_job(app).pin_state == PinState.READY
    assert most[0] == 1


def test_a_failure_behind_one_gateway_takes_the_code_off_the_other(app, guest, demo, cloud):
    on_gateways(app, {FRONT_DOOR: 1, ROOM_1: 2})
    cloud.failures[("add", ROOM_1)] = [LockBusy("Could not reach the TTLock cloud.")] * 2
    guest.find_booking()
    guest.give_details()
    check_in = wait_for_job(app)
    assert check_in.pin_state == PinState.FAILED
    assert codes_on(app, FRONT_DOOR) == codes_on(app, ROOM_1) == []
