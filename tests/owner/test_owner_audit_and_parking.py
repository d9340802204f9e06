"""The audit trail of owner actions and PIN events, and the printable parking list."""
from datetime import timedelta

from conftest import shows_pin

from checkin.clock import property_today
from checkin.extensions import db
from checkin.models import AuditAction, Booking, CheckIn, Room
from checkin.services.audit import acting_as, record_event

from .conftest import OWNER_EMAIL


def test_the_audit_log_is_newest_first_and_paginated(app, client, owner, checked_in):
    with app.app_context(), acting_as("partner@example.com"):
        for n in range(60):
            record_event(AuditAction.BOOKING_EDITED, "40322", f"Change number {n}")
    first = client.get("/owner/audit").get_data(as_text=True)
    assert first.index("Change number 59") < first.index("Change number 10")
    assert "Change number 9<" not in first and "Page 1 of 2" in first
    assert "by partner@example.com" in first
    older = client.get("/owner/audit?page=2").get_data(as_text=True)
    assert "Change number 9<" in older and "Change number 0<" in older
    assert "PIN ready" in older and "by system" in older  # the guest's PIN, made in the background
    assert "Signed in</strong>" in older and f"by {OWNER_EMAIL}" in older
    assert not shows_pin(first + older, checked_in)
    assert client.get("/owner/audit?page=99").status_code == 200


def test_a_booking_page_shows_its_own_history(app, client, owner, checked_in):
    owner.post("/owner/bookings/40321/pin")
    page = client.get("/owner/bookings/40321").get_data(as_text=True)
    history = page[page.index("<h2>History</h2>"):]
    assert "PIN shown to the owner" in history and "PIN ready" in history
    assert not shows_pin(history, checked_in)


def test_the_parking_list_has_tonights_guests_and_their_cars(app, client, owner, checked_in):
    with app.app_context():
        today = property_today()
        room = db.session.scalar(db.select(Room).where(Room.name == "Room 2"))
        staying = Booking(reference="39999", surname="Stayer", room=room,
                          check_in_date=today - timedelta(days=1), check_out_date=today + timedelta(days=1))
        gone = Booking(reference="39998", surname="Leaver", room=room,
                       check_in_date=today - timedelta(days=2), check_out_date=today)
        db.session.add_all([staying, gone])
        db.session.flush()
        db.session.add(CheckIn(booking_id=staying.id, public_id="p" * 32, full_name="Sam Stayer", has_car=True,
                               car_registration="XY70 ZZZ"))
        db.session.commit()
    response = client.get("/owner/parking")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert page.index("AB12 CDE") < page.index("XY70 ZZZ")  # arrivals first
    assert "Testington" in page and "Arrives today" in page
    assert "Stayer" in page and "Staying" in page
    assert "Sampleton" in page and "not asked yet" in page
    assert "Leaver" not in page and "Placeholder" not in page and "Exampleford" not in page
    with client.get("/static/owner.css") as stylesheet:
        css = stylesheet.get_data(as_text=True)
    assert "@media print" in css and ".owner-nav" in css.split("@media print", 1)[1]
