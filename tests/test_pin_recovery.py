"""Jobs whose worker died are taken over; revoked and ended stays lose their codes."""
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import time_machine
from conftest import codes_on, make_app
from lock_doubles import use_lock_cloud

from checkin.clock import at_property_time, to_epoch_ms, utc_now
from checkin.extensions import db
from checkin.models import Booking, CheckIn, Lock, LockCode, PinState, SimulatedPasscode
from checkin.pins import revoke_pin, take_over_abandoned_jobs
from checkin.services.bookings import cancel_booking

FRONT_DOOR, ROOM_1 = 1001, 2001


def dead_process_identity() -> str:
    """The identity of a process that has just exited, as a killed worker's would be."""
    code = "from checkin.pins.runner import process_identity; print(process_identity())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def leave_job_dead_mid_flight(app, owner: str, heartbeat=None) -> str:
    """The state a worker killed inside the room-lock call leaves: the front-door code recorded,
    the room-lock code written by the cloud but never recorded, the row pending."""
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        booking = check_in.booking
        start = to_epoch_ms(at_property_time(booking.check_in_date, "15:00"))
        end = to_epoch_ms(at_property_time(booking.check_out_date, "11:00"))
        codes = {}
        for ttlock_id in (FRONT_DOOR, ROOM_1):
            code = SimulatedPasscode(lock_ttlock_id=ttlock_id, pin="4827", name="Guest 40321", start_ms=start, end_ms=end)
            db.session.add(code)
            db.session.flush()
            codes[ttlock_id] = code.id
        front_door = db.session.scalar(db.select(Lock).where(Lock.ttlock_id == FRONT_DOOR))
        db.session.add(LockCode(check_in_id=check_in.id, lock_id=front_door.id, job_id="dead-job", pin="4827",
                                passcode_id=codes[FRONT_DOOR]))
        check_in.pin_state = PinState.PENDING
        check_in.pin_job_id = "dead-job"
        check_in.pin_job_owner = owner
        check_in.pin_heartbeat_at = heartbeat or utc_now()
        check_in.pin = "4827"
        db.session.commit()
        return check_in.public_id


def test_guest_carries_on_after_the_worker_running_their_job_died(app, guest, demo, cloud):
    guest.find_booking()
    cloud.gate.clear()  # this process's own job stays out of the way
    guest.give_details()
    guest.give_parking(None)
    leave_job_dead_mid_flight(app, dead_process_identity())
    cloud.gate.set()
    response = guest.confirm()
    assert response.headers["Location"].startswith("/room/")
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        assert check_in.pin_state == PinState.READY
    # Exactly one code per lock: the dead job's recorded and unrecorded codes are gone.
    assert [code.pin for code in codes_on(app, FRONT_DOOR)] == [check_in.pin]
    assert [code.pin for code in codes_on(app, ROOM_1)] == [check_in.pin]


def test_a_silent_job_is_taken_over_even_if_its_process_lives(app, guest, demo, cloud):
    from checkin.pins.runner import process_identity

    guest.find_booking()
    leave_job_dead_mid_flight(app, process_identity(), heartbeat=utc_now() - timedelta(minutes=5))
    with app.app_context():
        public_id = db.session.scalar(db.select(CheckIn.public_id))
    with guest.client.session_transaction() as session:
        session["check_in"] = public_id
    cloud.gate.clear()
    with app.app_context():
        assert take_over_abandoned_jobs() == 1  # what the runner's monitor does on every tick
    status = guest.client.get(f"/api/check-ins/{public_id}/status").json
    assert status["pin_state"] == "pending"  # taken over, now running again
    cloud.gate.set()
    app.extensions["pin_jobs"].wait(1, timeout=5)
    assert guest.client.get(f"/api/check-ins/{public_id}/status").json["pin_state"] == "ready"
    assert len(codes_on(app, FRONT_DOOR)) == len(codes_on(app, ROOM_1)) == 1


@pytest.mark.parametrize("app_config", [{"PIN_JOB_HEARTBEAT_SECONDS": 0.05}])
def test_the_runners_monitor_takes_over_a_dead_job_without_any_request(app, guest, demo, cloud):
    guest.find_booking()
    leave_job_dead_mid_flight(app, dead_process_identity())
    app.extensions["pin_jobs"].start()  # as gunicorn's post_worker_init does in every worker
    deadline = time.monotonic() + 5
    with app.app_context():
        while db.session.scalar(db.select(CheckIn.pin_state)) != PinState.READY:
            assert time.monotonic() < deadline, "the monitor never took the job over"
            time.sleep(0.02)
            db.session.commit()
    assert len(codes_on(app, FRONT_DOOR)) == len(codes_on(app, ROOM_1)) == 1


def test_reading_the_state_of_a_dead_job_does_not_take_it_over(app, guest, demo, cloud):
    guest.find_booking()
    leave_job_dead_mid_flight(app, dead_process_identity())
    with app.app_context():
        public_id = db.session.scalar(db.select(CheckIn.public_id))
    with guest.client.session_transaction() as session:
        session["check_in"] = public_id
    assert guest.client.get(f"/api/check-ins/{public_id}/status").json["pin_state"] == "pending"
    with app.app_context():
        assert db.session.scalar(db.select(CheckIn.pin_job_id)) == "dead-job"


def test_a_live_job_is_left_alone(app, guest, demo, cloud):
    cloud.gate.clear()
    guest.find_booking()
    guest.give_details()
    with app.app_context():
        job_id = db.session.scalar(db.select(CheckIn.pin_job_id))
    assert app.test_cli_runner().invoke(args=["jobs", "resume"]).output.startswith("Resumed 0")
    cloud.gate.set()
    app.extensions["pin_jobs"].wait(1, timeout=5)
    with app.app_context():
        assert db.session.scalar(db.select(CheckIn.pin_job_id)) == job_id


def test_jobs_resume_command_takes_up_dead_jobs(app, runner, guest, demo, cloud):
    guest.find_booking()
    leave_job_dead_mid_flight(app, dead_process_identity())
    result = runner.invoke(args=["jobs", "resume"])
    assert "Resumed 1 PIN job(s)." in result.output
    with app.app_context():
        assert db.session.scalar(db.select(CheckIn.pin_state)) == PinState.READY
    assert len(codes_on(app, FRONT_DOOR)) == len(codes_on(app, ROOM_1)) == 1
    assert "Resumed 0" in runner.invoke(args=["jobs", "resume"]).output


def test_a_job_refused_at_shutdown_is_picked_up_by_another_worker(app, guest, demo, cloud, tmp_path):
    app.extensions["pin_jobs"].shutdown()
    guest.find_booking()
    guest.give_details()  # the submit is refused: the row stays pending
    with app.app_context():
        assert db.session.scalar(db.select(CheckIn.pin_state)) == PinState.PENDING
    other_worker = make_app(tmp_path, PIN_JOB_STALE_SECONDS=0.0)
    use_lock_cloud(other_worker, cloud)
    try:
        assert "Resumed 1" in other_worker.test_cli_runner().invoke(args=["jobs", "resume"]).output
    finally:
        other_worker.extensions["pin_jobs"].shutdown()
    with app.app_context():
        assert db.session.scalar(db.select(CheckIn.pin_state)) == PinState.READY


def test_revoke_supersedes_a_running_job_which_cleans_up(app, guest, demo, cloud):
    cloud.gate.clear()
    guest.find_booking()
    guest.give_details()
    with app.app_context():
        revoke_pin(db.session.scalar(db.select(CheckIn)))
    cloud.gate.set()  # the job's add on the front door now lands, after the revoke
    app.extensions["pin_jobs"].wait(1, timeout=5)
    with app.app_context():
        assert db.session.scalar(db.select(CheckIn.pin_state)) == PinState.REVOKED
    assert codes_on(app, FRONT_DOOR) == codes_on(app, ROOM_1) == []


def test_revoke_and_cancel_remove_the_codes(app, guest, demo, cloud):
    guest.check_in()
    assert len(codes_on(app, FRONT_DOOR)) == 1
    with app.app_context():
        cancel_booking(db.session.get(Booking, 1))
    for _ in range(250):  # the codes come off in the background
        if not codes_on(app, ROOM_1):
            break
        time.sleep(0.02)
    assert codes_on(app, FRONT_DOOR) == codes_on(app, ROOM_1) == []
    assert guest.find_booking().status_code == 200  # "cancelled" page now


def test_sweep_removes_codes_of_ended_and_cancelled_stays_once(app, runner, demo, cloud):
    from conftest import Guest

    for reference, surname in (("40321", "Testington"), ("40322", "Sampleton")):
        Guest(app.test_client()).check_in(reference, surname)
    app.extensions["pin_jobs"].wait(1, timeout=5)
    app.extensions["pin_jobs"].wait(2, timeout=5)
    assert len(codes_on(app, FRONT_DOOR)) == 2
    assert "Removed 0 code(s)" in runner.invoke(args=["sweep"]).output
    with app.app_context():
        db.session.get(Booking, 2).cancelled_at = utc_now()  # cancelled elsewhere, codes still on
        db.session.commit()
    assert "Removed 2 code(s)" in runner.invoke(args=["sweep"]).output
    assert [code.name for code in codes_on(app, FRONT_DOOR)] == ["Guest 40321"]
    with app.app_context():
        checkout_day = db.session.get(Booking, 1).check_out_date
    with time_machine.travel(f"{checkout_day.isoformat()}T11:00:00+00:00"):
        assert "Removed 2 code(s)" in runner.invoke(args=["sweep"]).output
        assert "Removed 0 code(s)" in runner.invoke(args=["sweep"]).output
    assert codes_on(app, FRONT_DOOR) == codes_on(app, ROOM_1) == []


def test_sweep_keeps_what_it_could_not_remove_for_next_time(app, runner, guest, demo, cloud):
    from checkin.locks import LockUnreachable

    guest.check_in()
    with app.app_context():
        db.session.get(Booking, 1).cancelled_at = utc_now()
        db.session.commit()
    cloud.failures[("delete", ROOM_1)] = [LockUnreachable("Room lock's gateway is offline.")]
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 1
    assert "Removed 1 code(s)" in result.output
    assert "Room lock's gateway is offline." in result.output
    assert "Removed 1 code(s)" in runner.invoke(args=["sweep"]).output
    assert codes_on(app, ROOM_1) == []
