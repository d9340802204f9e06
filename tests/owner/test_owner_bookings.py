"""Bookings from the dashboard: search, add, edit, and a CSV import previewed before it is applied."""
import io

from conftest import csrf_token, day

from checkin.extensions import db
from checkin.models import AuditEvent, Booking, Lock, Room

from .conftest import OWNER_EMAIL

HEADER = "booking_ref,surname,room,check_in,check_out\n"


def bookings(app):
    with app.app_context():
        rows = db.session.scalars(db.select(Booking).order_by(Booking.reference))
        return {b.reference: (b.surname, b.room.name, b.check_in_date.isoformat(), b.check_out_date.isoformat()) for b in rows}


def upload(owner, text: str, name="bookings.csv"):
    page = owner.client.get("/owner/bookings/import")
    data = {"csrf_token": csrf_token(page), "csv_file": (io.BytesIO(text.encode("utf-8-sig")), name)}
    return owner.client.post("/owner/bookings/import", data=data, content_type="multipart/form-data")


def apply_form(preview) -> dict:
    """The hidden fields of the preview's Apply form, as a browser would send them back."""
    import html
    import re

    fields = dict(re.findall(r'name="(file_data|file_name|file_format|date_order|fingerprint|csrf_token)" type="hidden" value="([^"]*)"',
                             preview.get_data(as_text=True)))
    return {name: html.unescape(value) for name, value in fields.items()}


def test_search_by_reference_or_surname(client, owner, demo):
    assert "Testington" in client.get("/owner/bookings").get_data(as_text=True)
    by_reference = client.get("/owner/bookings?q=40322").get_data(as_text=True)
    assert "Sampleton" in by_reference and "Testington" not in by_reference
    by_surname = client.get("/owner/bookings?q=testing").get_data(as_text=True)
    assert "Testington" in by_surname and "Sampleton" not in by_surname
    assert "No booking matches" in client.get("/owner/bookings?q=Nobody").get_data(as_text=True)


def test_add_a_booking(app, client, owner, demo, today):
    with app.app_context():
        room_id = db.session.scalar(db.select(Room.id).where(Room.name == "Room 2"))
    form = {"reference": "5001", "surname": "Newcomer", "room_id": room_id,
            "check_in_date": day(today, 7), "check_out_date": day(today, 9)}
    response = owner.post("/owner/bookings/new", form, token_from="/owner/bookings/new")
    assert response.headers["Location"] == "/owner/bookings/5001"
    assert bookings(app)["5001"] == ("Newcomer", "Room 2", day(today, 7), day(today, 9))
    again = owner.post("/owner/bookings/new", form, token_from="/owner/bookings/new")
    assert b"Booking 5001 already exists" in again.data
    wrong = owner.post("/owner/bookings/new", {**form, "reference": "12/ab", "check_out_date": day(today, 6)})
    assert b"4 to 20 letters and digits" in wrong.data and b"must be after the arrival date" in wrong.data


def test_edit_a_booking_says_its_pin_moves_with_it(app, client, owner, checked_in, today):
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "40321"))
        form = {"surname": "Testington-Smith", "room_id": booking.room_id,
                "check_in_date": booking.check_in_date.isoformat(), "check_out_date": day(today, 30)}
    response = owner.post("/owner/bookings/40321/edit", form, token_from="/owner/bookings/40321/edit")
    assert response.headers["Location"] == "/owner/bookings/40321"
    page = client.get("/owner/bookings/40321").get_data(as_text=True)
    assert "The guest&#39;s PIN moves with the booking" in page
    assert bookings(app)["40321"][0] == "Testington-Smith" and bookings(app)["40321"][3] == day(today, 30)
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "booking_edited"))
        assert (event.actor, event.detail) == (OWNER_EMAIL, "Changed check out date, surname")


def test_csv_import_is_previewed_then_applied(app, client, owner, demo, today):
    current = bookings(app)["40321"]
    text = HEADER + (f"40321,Testington,Room 1,{current[2]},{current[3]}\n40322,Sampleton,Room 1,{day(today, 7)},{day(today, 8)}\n"
                     f"5001,Newcomer,Room 2,{day(today, 11)},{day(today, 13)}\n")
    preview = upload(owner, text)
    page = preview.get_data(as_text=True)
    assert "1 to add, 1 to update, 0 to cancel, 1 unchanged." in page
    assert "5001 Newcomer" in page and "No change" in page and "Update" in page
    assert "5001" not in bookings(app)  # nothing written yet
    response = client.post("/owner/bookings/import/apply", data=apply_form(preview))
    assert response.headers["Location"] == "/owner/bookings"
    assert "Imported: 1 added, 1 updated, 0 cancelled, 1 unchanged." in client.get("/owner/bookings").get_data(as_text=True)
    assert bookings(app)["5001"] == ("Newcomer", "Room 2", day(today, 11), day(today, 13))
    assert bookings(app)["40322"] == ("Sampleton", "Room 1", day(today, 7), day(today, 8))
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "bookings_imported"))
        assert event.detail == "1 added, 1 updated, 0 cancelled, 1 unchanged: 40322, 5001"


def test_a_file_sent_back_damaged_is_not_applied(app, client, owner, demo, today):
    preview = upload(owner, HEADER + f"5001,Newcomer,Room 2,{day(today, 11)},{day(today, 13)}\n")
    form = apply_form(preview)
    form["file_data"] = form["file_data"][:-3] + "!!!"
    assert b"did not come back whole" in client.post("/owner/bookings/import/apply", data=form).data
    assert "5001" not in bookings(app)


def test_csv_errors_are_listed_with_line_numbers_and_nothing_is_applied(app, client, owner, demo, today):
    preview = upload(owner, HEADER + f"5001,Newcomer,Room 9,{day(today, 11)},{day(today, 13)}\nabc,X,Room 1,{day(today, 11)},{day(today, 10)}\n")
    page = preview.get_data(as_text=True)
    assert "Nothing can be imported yet" in page
    assert "Line 2: no room called &#39;Room 9&#39;" in page
    assert "Line 3: booking_ref &#39;abc&#39; must be 4 to 20 letters and digits" in page
    assert "Apply these changes" not in page
    assert "5001" not in bookings(app)


def test_a_preview_that_went_stale_is_shown_again_instead_of_applied(app, client, owner, demo, today):
    preview = upload(owner, HEADER + f"5001,Newcomer,Room 2,{day(today, 11)},{day(today, 13)}\n")
    form = apply_form(preview)
    owner.post("/owner/bookings/import/apply", {name: value for name, value in form.items() if name != "csrf_token"})
    again = client.post("/owner/bookings/import/apply", data=form)
    assert b"The bookings changed since the preview" in again.data
    assert b"0 to add, 0 to update, 0 to cancel, 1 unchanged." in again.data


def test_a_file_that_is_not_utf8_or_csv_is_explained(client, owner, demo):
    page = owner.client.get("/owner/bookings/import")
    data = {"csrf_token": csrf_token(page), "csv_file": (io.BytesIO(b"\x00\x01\x02binary"), "b.csv")}
    response = client.post("/owner/bookings/import", data=data, content_type="multipart/form-data")
    assert b"is not a CSV file or a spreadsheet" in response.data
    assert b"this is not a file the import knows" in upload(owner, "ref;name\n1;2\n").data


def test_rooms_and_locks_are_listed_added_and_edited(app, client, owner, demo):
    assert "Room 1 door" in client.get("/owner/locks").get_data(as_text=True)
    owner.post("/owner/locks/new", {"name": "Garden door", "ttlock_id": "3001"}, token_from="/owner/locks/new")
    with app.app_context():
        lock = db.session.scalar(db.select(Lock).where(Lock.ttlock_id == 3001))
        assert (lock.name, lock.is_front_door) == ("Garden door", False)
        lock_id = lock.id
    owner.post(f"/owner/locks/{lock_id}/edit", {"name": "Garden gate", "ttlock_id": "9999", "front_door": "y"})
    with app.app_context():
        lock = db.session.get(Lock, lock_id)
        assert (lock.name, lock.ttlock_id, lock.is_front_door) == ("Garden gate", 3001, True)
    clash = owner.post("/owner/locks/new", {"name": "Garden gate", "ttlock_id": "3002"})
    assert b"already called" in clash.data

    owner.post("/owner/rooms/new", {"name": "Room 3", "lock_ttlock_id": "3001", "floor": "Garden",
                                    "directions": "Round the back.", "wifi_name": "", "wifi_password": ""})
    with app.app_context():
        room = db.session.scalar(db.select(Room).where(Room.name == "Room 3"))
        assert (room.lock.name, room.floor, room.directions) == ("Garden gate", "Garden", "Round the back.")
        room_id = room.id
    owner.post(f"/owner/rooms/{room_id}/edit", {"name": "Renamed", "lock_ttlock_id": "2001", "floor": "First", "directions": ""})
    with app.app_context():
        room = db.session.get(Room, room_id)
        assert (room.name, room.lock.ttlock_id, room.floor, room.directions) == ("Room 3", 2001, "First", "")
    page = client.get("/owner/rooms").get_data(as_text=True)
    assert "Room 3" in page and "Room 1 door" in page
    assert client.get("/owner/rooms/999/edit").status_code == 404
