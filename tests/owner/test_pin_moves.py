"""A booking moved to another room or other dates takes its PIN along; no code outlives its room."""
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from conftest import Guest, codes_on

from checkin.clock import to_epoch_ms
from checkin.extensions import db
from checkin.locks import LockUnreachable
from checkin.models import AlertOutbox, AuditEvent, Booking, Room
from checkin.pins import sweep_codes
from checkin.stays import stay_window

from .conftest import FRONT_DOOR, ROOM_1, wait_for_pin
from .test_owner_bookings import HEADER, apply_form, upload

ROOM_2 = 2002


@pytest.fixture
def guest_link(app, demo, cloud):
    """Guest 40321 (Room 1) confirmed with a ready PIN: returns their room link."""
    guest = Guest(app.test_client())
    guest.find_booking()
    guest.give_details()
    guest.give_parking(None)
    wait_for_pin(app)
    return guest.confirm().headers["Location"]


def booking_form(app, **changes) -> dict:
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "40321"))
        form = {"surname": booking.surname, "room_id": booking.room_id,
                "check_in_date": booking.check_in_date, "check_out_date": booking.check_out_date}
    form.update(changes)
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in form.items()}


def room_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Room.id).where(Room.name == name))


def edit(owner, app, **changes):
    return owner.post("/owner/bookings/40321/edit", booking_form(app, **changes),
                      token_from="/owner/bookings/40321/edit")


def eventually(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the background lock work never finished"
        time.sleep(0.02)


def window_ms(app) -> tuple[int, int]:
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "40321"))
        return tuple(to_epoch_ms(moment) for moment in stay_window(booking))


def on_lock(app, lock_id) -> list[tuple[str, int, int]]:
    return [(code.pin, code.start_ms, code.end_ms) for code in codes_on(app, lock_id)]


def audit_details(app, action) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent.detail).where(AuditEvent.action == action)))


def test_a_booking_moved_to_another_room_takes_its_pin_to_the_new_door(app, client, owner, cloud, guest_link):
    pin = wait_for_pin(app).pin
    front_door_code = codes_on(app, FRONT_DOOR)[0].passcode_id
    cloud.gate.clear()  # the new door's add waits: the owner's answer must not
    started = time.monotonic()
    response = edit(owner, app, room_id=room_id(app, "Room 2"))
    assert response.status_code == 302 and time.monotonic() - started < 2
    assert "The guest&#39;s PIN moves with the booking" in client.get("/owner/bookings/40321").get_data(as_text=True)
    cloud.gate.set()
    eventually(lambda: [c.pin for c in codes_on(app, ROOM_2)] == [pin] and not codes_on(app, ROOM_1))
    start, end = window_ms(app)
    assert on_lock(app, FRONT_DOOR) == on_lock(app, ROOM_2) == [(pin, start, end)]
    assert codes_on(app, FRONT_DOOR)[0].passcode_id == front_door_code  # re-dated, not replaced
    eventually(lambda: audit_details(app, "pin_moved"))  # the move has recorded where its codes are
    room = app.test_client().get(guest_link)  # the same link: the same PIN, the new room
    assert room.status_code == 200 and pin.encode() in room.data
    assert b"Room 2" in room.data and b"Front door and Room 2 door" in room.data
    page = client.get("/owner/bookings/40321").get_data(as_text=True)
    assert "Front door, Room 2 door" in page and "not on exactly this booking" not in page


def test_a_longer_or_shorter_stay_redates_the_code_on_every_lock(app, owner, cloud, guest_link):
    pin = wait_for_pin(app).pin
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "40321"))
        check_out = booking.check_out_date
    for new_check_out in (check_out + timedelta(days=3), check_out + timedelta(days=1)):
        edit(owner, app, check_out_date=new_check_out)
        start, end = window_ms(app)
        eventually(lambda: on_lock(app, FRONT_DOOR) == on_lock(app, ROOM_1) == [(pin, start, end)])
    changes = [call for call in cloud.calls if call[0] == "change"]
    assert sorted({lock for _, lock, _ in changes}) == [FRONT_DOOR, ROOM_1] and len(changes) == 4
    assert not [call for call in cloud.calls if call[0] == "add"][2:]  # no new codes: the same two, re-dated


@pytest.mark.parametrize(("hour", "ends"), [(9, "at 11:00"), (14, "now")])
def test_an_early_check_out_ends_the_code(app, owner, cloud, demo, hour, ends):
    """A guest who stays one night of three: the owner sets the check-out to today."""
    zone = ZoneInfo(app.config["PROPERTY_TIMEZONE"])
    today = datetime.now(zone).date()
    moment = datetime(today.year, today.month, today.day, hour, tzinfo=zone)
    with time_machine.travel(moment, tick=True):
        with app.app_context():
            booking = db.session.scalar(db.select(Booking).where(Booking.reference == "40321"))
            booking.check_in_date, booking.check_out_date = today - timedelta(days=1), today + timedelta(days=2)
            db.session.commit()
        guest = Guest(app.test_client())
        guest.find_booking()
        guest.give_details()
        pin = wait_for_pin(app).pin
        owner.log_in()
        edit(owner, app, check_out_date=today)
        if ends == "now":
            eventually(lambda: not codes_on(app, FRONT_DOOR) and not codes_on(app, ROOM_1))
            eventually(lambda: "The stay is over: removed from every lock." in audit_details(app, "pin_moved"))
        else:
            start, end = window_ms(app)
            assert end == to_epoch_ms(datetime(today.year, today.month, today.day, 11, tzinfo=zone))
            eventually(lambda: on_lock(app, FRONT_DOOR) == on_lock(app, ROOM_1) == [(pin, start, end)])


def test_a_reimport_that_moves_the_booking_moves_its_pin(app, owner, cloud, guest_link):
    pin = wait_for_pin(app).pin
    form = booking_form(app)
    text = HEADER + f"40321,Testington,Room 2,{form['check_in_date']},{form['check_out_date']}\n"
    preview = upload(owner, text)
    owner.client.post("/owner/bookings/import/apply", data=apply_form(preview))
    eventually(lambda: [c.pin for c in codes_on(app, ROOM_2)] == [pin] and not codes_on(app, ROOM_1))
    assert [c.pin for c in codes_on(app, FRONT_DOOR)] == [pin]


def test_a_move_while_the_pin_is_being_placed_ends_on_the_new_door(app, owner, cloud, demo):
    cloud.gate.clear()
    guest = Guest(app.test_client())
    guest.find_booking()
    guest.give_details()
    edit(owner, app, room_id=room_id(app, "Room 2"))
    cloud.gate.set()
    pin = wait_for_pin(app).pin
    eventually(lambda: [c.pin for c in codes_on(app, ROOM_2)] == [pin] and not codes_on(app, ROOM_1))


def test_the_sweep_removes_a_code_from_a_lock_the_booking_left_and_the_dashboard_flags_it(
    app, client, owner, cloud, guest_link
):
    pin = wait_for_pin(app).pin
    with app.app_context():  # moved behind the app's back: no move ran
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "40321"))
        booking.room_id = room_id(app, "Room 2")
        db.session.commit()
    flagged = "not on exactly this booking"
    assert flagged in client.get("/owner/bookings/40321").get_data(as_text=True)
    assert flagged in client.get("/owner/").get_data(as_text=True)
    with app.app_context():
        report = sweep_codes()
    assert report.removed == 1
    assert not codes_on(app, ROOM_1) and [c.pin for c in codes_on(app, FRONT_DOOR)] == [pin]
    assert flagged in client.get("/owner/bookings/40321").get_data(as_text=True)  # still not on Room 2


def test_a_move_the_new_door_refuses_is_flagged_alerted_and_finished_by_the_timer(
    app, client, runner, owner, cloud, guest_link
):
    cloud.failures[("add", ROOM_2)] = [LockUnreachable("The gateway for Room 2 door is offline.")]
    edit(owner, app, room_id=room_id(app, "Room 2"))
    eventually(lambda: audit_details(app, "lock_error"))
    assert "Room 2 door: The gateway for Room 2 door is offline." in audit_details(app, "lock_error")[0]
    page = client.get("/owner/bookings/40321").get_data(as_text=True)
    assert "not on exactly this booking" in page
    assert not codes_on(app, ROOM_1)  # the old room's door opens for them no longer either
    with app.app_context():
        alerts = list(db.session.scalars(db.select(AlertOutbox.subject)))
    assert alerts == ["A guest's door PIN could not be moved with their booking: booking 40321"]
    # The gateway is back: the maintenance timer's sweep finishes the move.
    result = runner.invoke(args=["sweep"])
    assert "Moved 1 PIN(s)" in result.output
    assert [c.pin for c in codes_on(app, ROOM_2)] == [wait_for_pin(app).pin]
    assert "not on exactly this booking" not in client.get("/owner/bookings/40321").get_data(as_text=True)
    assert "Moved" not in runner.invoke(args=["sweep"]).output  # nothing left to move
