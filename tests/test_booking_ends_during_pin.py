"""A booking cancelled or ended after the guest looked it up gets no code on any door."""
import time
from datetime import timedelta

import pytest
from conftest import codes_on, csrf_token

from checkin.clock import utc_now
from checkin.extensions import db
from checkin.models import Booking, CheckIn

FRONT_DOOR, ROOM_1 = 1001, 2001


def change_booking(app, **values):
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "40321"))
        for key, value in values.items():
            setattr(booking, key, value)
        db.session.commit()


def ended_stay(app) -> dict:
    with app.app_context():
        today = db.session.scalar(db.select(Booking.check_in_date).where(Booking.reference == "40321"))
    return {"check_in_date": today - timedelta(days=3), "check_out_date": today - timedelta(days=1)}


def wait_until_placing(app, timeout=5.0):
    """Until the job has chosen its PIN: it records it just before the first lock call."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            if db.session.scalar(db.select(CheckIn.pin)) is not None:
                return
        assert time.monotonic() < deadline, "the job never reached the locks"
        time.sleep(0.01)


def check_in_row(app) -> CheckIn:
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        app.extensions["pin_jobs"].wait(check_in.id, timeout=10)
        db.session.refresh(check_in)
        db.session.expunge(check_in)
        return check_in


@pytest.mark.parametrize("ending", ["cancelled", "ended"])
def test_a_booking_ended_after_the_lookup_gets_no_pin(app, guest, demo, cloud, ending):
    assert guest.find_booking().status_code == 302
    token = csrf_token(guest.client.get("/details"))  # the form was open when the booking ended
    change_booking(app, **({"cancelled_at": utc_now()} if ending == "cancelled" else ended_stay(app)))
    details = {"csrf_token": token, "full_name": "Alex Testington", "phone": "+44 20 7946 0123",
               "email": "alex@example.com"}
    page = guest.client.post("/details", data=details)
    assert page.status_code == 200
    assert (b"cancelled" if ending == "cancelled" else b"ended") in page.data
    check_in_row(app)
    assert codes_on(app, FRONT_DOOR) == codes_on(app, ROOM_1) == []
    assert not [call for call in cloud.calls if call[0] == "add"]


@pytest.mark.parametrize("ending", ["cancelled", "ended"])
def test_a_booking_ended_while_its_job_runs_keeps_no_code(app, guest, demo, cloud, ending):
    cloud.gate.clear()
    guest.find_booking()
    guest.give_details()
    wait_until_placing(app)
    change_booking(app, **({"cancelled_at": utc_now()} if ending == "cancelled" else ended_stay(app)))
    cloud.gate.set()  # the front door's code goes on, then the job sees the booking before the next lock
    check_in = check_in_row(app)
    assert check_in.pin_state == "failed"
    assert "no PIN was placed" in check_in.pin_error
    assert codes_on(app, FRONT_DOOR) == codes_on(app, ROOM_1) == []
    assert ("add", ROOM_1) not in [(op, lock) for op, lock, _ in cloud.calls]


def test_an_owner_cancel_during_the_job_removes_what_it_placed(app, guest, demo, cloud):
    from checkin.services.owner_actions import cancel

    cloud.gate.clear()
    guest.find_booking()
    guest.give_details()
    wait_until_placing(app)
    with app.app_context():
        cancel(db.session.scalar(db.select(Booking).where(Booking.reference == "40321")))
    cloud.gate.set()
    check_in = check_in_row(app)
    assert check_in.pin_state == "revoked"
    assert codes_on(app, FRONT_DOOR) == codes_on(app, ROOM_1) == []
