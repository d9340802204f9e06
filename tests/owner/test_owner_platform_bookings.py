"""The owner's side of platform bookings: a spreadsheet previewed and applied, platform room
names, bookings that need a room or a surname, calendars and their blocks."""
import io
import re
from datetime import timedelta

import pytest
from booking_exports import booking_com_row, booking_com_xlsx
from conftest import csrf_token

from checkin.clock import property_today
from checkin.extensions import db
from checkin.models import Booking, Room
from checkin.services.room_names import map_room_name


@pytest.fixture
def today(app):
    with app.app_context():
        return property_today()


@pytest.fixture
def mapped(app, demo):
    with app.app_context():
        map_room_name("Double Room", ["Room 1", "Room 2"])
        map_room_name("Twin Room", ["Room 2"])


def stored(app, reference):
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == reference))
        return None if booking is None else {"room": booking.room.name if booking.room else None,
                                             "surname": booking.surname, "waits_for": booking.source_room_name}


def test_the_dashboard_previews_a_spreadsheet_then_applies_it(app, client, owner, mapped, today):
    start = today + timedelta(days=20)
    rows = [booking_com_row("4012345678", "Fictional, Priya", "Priya Fictional", start, start + timedelta(days=2),
                            "ok", "Double Room"),
            booking_com_row("40!", "Madeup, Olu", "Olu Madeup", start, start + timedelta(days=1), "ok", "Twin Room")]
    page = client.get("/owner/bookings/import")
    data = {"csrf_token": csrf_token(page), "file_format": "auto", "date_order": "",
            "csv_file": (io.BytesIO(booking_com_xlsx(rows)), "Check-in.xlsx")}
    preview = client.post("/owner/bookings/import", data=data, content_type="multipart/form-data")
    text = preview.get_data(as_text=True)
    assert "Booking.com reservations export" in text and "1 to add, 0 to update, 0 to cancel, 0 unchanged." in text
    assert "Line 3: Book number &#39;40!&#39; must be 4 to 20 letters and digits" in text
    assert stored(app, "4012345678") is None
    fields = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', text))
    response = client.post("/owner/bookings/import/apply", data=fields)
    assert response.headers["Location"] == "/owner/bookings"
    assert stored(app, "4012345678")["room"] == "Room 1"


def test_the_owner_maps_a_name_and_moves_a_waiting_booking(app, client, owner, demo, today):
    with app.app_context():
        db.session.add(Booking(reference="4011111111", platform_reference="4011111111", surname="Alpha",
                               source="booking.com", source_room_name="Garden Suite",
                               check_in_date=today + timedelta(days=3), check_out_date=today + timedelta(days=5)))
        db.session.add(Booking(reference="4022222222", platform_reference="4022222222", surname="Beta",
                               source="booking.com", source_room_name="Attic",
                               check_in_date=today + timedelta(days=3), check_out_date=today + timedelta(days=5)))
        db.session.commit()
        room_ids = {room.name: room.id for room in db.session.scalars(db.select(Room))}
    dashboard = client.get("/owner/").get_data(as_text=True)
    assert "2 booking matter(s) to sort out" in dashboard and "2 need a room" in dashboard
    page = client.get("/owner/to-sort-out").get_data(as_text=True)
    assert "Needs a room (2)" in page and "Garden Suite" in page

    owner.post("/owner/room-names", {"source_name": "Garden Suite", "room_ids": [room_ids["Room 2"]]},
               token_from="/owner/room-names")
    assert stored(app, "4011111111")["room"] == "Room 2"
    assert "garden suite" in client.get("/owner/room-names").get_data(as_text=True)

    owner.post("/owner/bookings/4022222222/room", {"room_id": room_ids["Room 2"]}, token_from="/owner/to-sort-out")
    assert stored(app, "4022222222")["room"] is None  # Room 2 is taken those nights
    response = owner.post("/owner/bookings/4022222222/room", {"room_id": room_ids["Room 1"]},
                          token_from="/owner/to-sort-out")
    assert response.headers["Location"] == "/owner/to-sort-out"
    assert stored(app, "4022222222")["room"] == "Room 1"


def test_the_owner_confirms_or_keeps_a_stay_gone_from_its_calendar(app, client, owner, demo, today):
    from checkin.clock import utc_now
    from checkin.models import Calendar, CalendarBlock

    with app.app_context():
        room = db.session.scalar(db.select(Room).where(Room.name == "Room 1"))
        calendar = Calendar(room_id=room.id, url="https://www.airbnb.com/calendar/ical/1.ics?s=secret-token")
        db.session.add(calendar)
        db.session.flush()
        for reference in ("HMAAAA1111", "HMBBBB2222"):
            db.session.add(Booking(reference=reference, platform_reference=reference, surname="", phone_last4="0123",
                                   source="airbnb", room_id=room.id, calendar_id=calendar.id, calendar_uid=reference,
                                   missing_from_calendar_at=utc_now(), check_in_date=today + timedelta(days=9),
                                   check_out_date=today + timedelta(days=10)))
        db.session.add(CalendarBlock(calendar_id=calendar.id, summary="Airbnb (Not available)",
                                     start_date=today + timedelta(days=20), end_date=today + timedelta(days=22)))
        db.session.commit()
    page = client.get("/owner/to-sort-out").get_data(as_text=True)
    assert "Cancelled on the calendar? (2)" in page and "Airbnb (Not available)" in page
    assert "secret-token" not in page

    owner.post("/owner/bookings/HMAAAA1111/calendar-cancellation", token_from="/owner/to-sort-out")
    owner.post("/owner/bookings/HMBBBB2222/calendar-keep", token_from="/owner/to-sort-out")
    with app.app_context():
        cancelled = db.session.scalar(db.select(Booking).where(Booking.reference == "HMAAAA1111"))
        kept = db.session.scalar(db.select(Booking).where(Booking.reference == "HMBBBB2222"))
        assert cancelled.cancelled_at is not None
        assert (kept.cancelled_at, kept.missing_from_calendar_at, kept.calendar_id) == (None, None, None)


def test_the_owner_gives_a_calendar_booking_its_surname_and_reference(app, client, owner, demo, today):
    from conftest import Guest

    with app.app_context():
        room = db.session.scalar(db.select(Room).where(Room.name == "Room 2"))
        db.session.add(Booking(reference="CAL1A2B3C4D5E", surname="", source="calendar", room_id=room.id,
                               check_in_date=today + timedelta(days=30), check_out_date=today + timedelta(days=31)))
        db.session.commit()
        room_id = room.id
    assert "Needs guest's surname (1)" in client.get("/owner/to-sort-out").get_data(as_text=True)
    form = {"surname": "Fictional", "room_id": room_id, "check_in_date": (today + timedelta(days=30)).isoformat(),
            "check_out_date": (today + timedelta(days=31)).isoformat(), "platform_reference": "4012 345 678"}
    response = owner.post("/owner/bookings/CAL1A2B3C4D5E/edit", form, token_from="/owner/bookings/CAL1A2B3C4D5E/edit")
    assert response.status_code == 302
    assert "Needs guest" not in client.get("/owner/to-sort-out").get_data(as_text=True)
    app.config["EARLY_CHECK_IN_DAYS"] = 30
    assert Guest(app.test_client()).find_booking("4012345678", "Fictional").headers["Location"] == "/details"


def test_the_preview_asks_for_the_date_order_when_the_file_cannot_settle_it(app, client, owner, demo):
    from booking_exports import airbnb_csv

    rows = [["HMK7PX2VNQ", "Confirmed", "Ana Test", "", "2", "0", "0", "05/06/2031", "05/08/2031", "", "",
             "Room 1", ""]]

    def preview(date_order):
        page = client.get("/owner/bookings/import")
        data = {"csrf_token": csrf_token(page), "file_format": "auto", "date_order": date_order,
                "csv_file": (io.BytesIO(airbnb_csv(rows)), "reservations.csv")}
        return client.post("/owner/bookings/import", data=data, content_type="multipart/form-data").get_data(as_text=True)

    assert "could be day/month or month/day: choose which under" in preview("")
    assert "2031-06-05 to 2031-08-05" in preview("dmy")
    assert "2031-05-06 to 2031-05-08" in preview("mdy")


def test_reimporting_keeps_the_surname_the_owner_corrected(app, runner, owner, mapped, today, tmp_path):
    start = today + timedelta(days=20)
    path = tmp_path / "export.xlsx"
    path.write_bytes(booking_com_xlsx([booking_com_row("4012345678", "", "Priya Fictional-Smith", start,
                                                       start + timedelta(days=2), "ok", "Twin Room")]))
    runner.invoke(args=["import-bookings", str(path)])
    assert stored(app, "4012345678")["surname"] == "Fictional-Smith"
    with app.app_context():
        db.session.scalar(db.select(Booking).where(Booking.reference == "4012345678")).surname = "Fictional Smith"
        db.session.commit()
    assert "1 unchanged" in runner.invoke(args=["import-bookings", str(path)]).output
    assert stored(app, "4012345678")["surname"] == "Fictional Smith"
