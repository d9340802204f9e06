"""Importing the files owners have: Airbnb's reservations CSV (English and translated) and
Booking.com's reservations export (.xls and .xlsx), made up here in the platforms' shapes."""
from datetime import timedelta

import pytest
from conftest import wait_for_removal
from booking_exports import (
    airbnb_csv,
    airbnb_row,
    booking_com_row,
    booking_com_xls,
    booking_com_xlsx,
)

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
    """The owner told the app which rooms the platforms' names stand for."""
    with app.app_context():
        map_room_name("Cosy double near the park", ["Room 1"])
        map_room_name("Double Room", ["Room 1", "Room 2"])
        map_room_name("Twin Room", ["Room 2"])


def write(tmp_path, name, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def stored(app, reference):
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == reference))
        if booking is None:
            return None
        return {"surname": booking.surname, "room": booking.room.name if booking.room else None,
                "dates": (booking.check_in_date, booking.check_out_date), "cancelled": booking.cancelled_at is not None,
                "source": booking.source, "waits_for": booking.source_room_name,
                "platform_reference": booking.platform_reference}


def test_airbnb_export_in_english_imports_then_reimports_unchanged(app, runner, mapped, tmp_path, today, guest):
    start = today + timedelta(days=40)
    rows = [
        airbnb_row("HMZ4HZCAP8", "Confirmed", "Ana García Márquez", start, start + timedelta(days=3),
                   "Cosy double near the park"),
        airbnb_row("HMB2KQ7TXA", "Canceled by guest", "Tom Example", start, start + timedelta(days=2),
                   "Cosy double near the park"),
        airbnb_row("HMQ9RW3ZLE", "Confirmed", "Lena Beispiel", start + timedelta(days=5), start + timedelta(days=7),
                   "Garden studio"),
    ]
    path = write(tmp_path, "reservations.csv", airbnb_csv(rows))

    dry = runner.invoke(args=["import-bookings", path, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing written (airbnb): 2 added, 0 updated, 0 cancelled, 0 unchanged" in dry.output
    assert "needs a room (Garden studio)" in dry.output
    assert stored(app, "HMZ4HZCAP8") is None

    result = runner.invoke(args=["import-bookings", path])
    assert result.exit_code == 0, result.output
    assert stored(app, "HMZ4HZCAP8") == {
        "surname": "García Márquez", "room": "Room 1", "dates": (start, start + timedelta(days=3)), "cancelled": False,
        "source": "airbnb", "waits_for": "Cosy double near the park", "platform_reference": "HMZ4HZCAP8"}
    assert stored(app, "HMQ9RW3ZLE")["room"] is None  # "needs a room", not a failed import
    assert stored(app, "HMB2KQ7TXA") is None  # a cancelled request never becomes a booking

    again = runner.invoke(args=["import-bookings", path])
    assert "0 added, 0 updated, 0 cancelled, 2 unchanged" in again.output


def test_translated_airbnb_export_with_day_first_dates_and_semicolons(app, runner, mapped, tmp_path, today):
    start = today + timedelta(days=40)
    start = start.replace(day=3) if start.day <= 12 else start  # an ambiguous day, settled by the other row
    rows = [
        airbnb_row("HMZ4HZCAP8", "Confirmée", "Élodie Exemple", start, start + timedelta(days=2),
                   "Cosy double near the park", date_format="%d/%m/%Y"),
        airbnb_row("HMK7PX2VNQ", "Confirmée", "Jules Fictif", today.replace(day=25) + timedelta(days=60),
                   today.replace(day=25) + timedelta(days=62), "Cosy double near the park", date_format="%d/%m/%Y"),
    ]
    data = airbnb_csv(rows, language="fr", delimiter=";", encoding="cp1252")
    result = runner.invoke(args=["import-bookings", write(tmp_path, "réservations.csv", data)])
    assert result.exit_code == 0, result.output
    assert "(airbnb): 2 added" in result.output
    assert stored(app, "HMZ4HZCAP8")["dates"] == (start, start + timedelta(days=2))
    assert stored(app, "HMZ4HZCAP8")["surname"] == "Exemple"


def test_ambiguous_dates_are_settled_by_the_nights_or_the_import_asks(app, runner, mapped, tmp_path):
    # 03/02/2031 to 04/03/2031: 3 Feb to 4 Mar is 29 nights, 2 Mar to 3 Apr is 32: the count decides.
    settled = [["HMZ4HZCAP8", "Confirmed", "Ana Test", "", "2", "0", "0", "03/02/2031", "04/03/2031", "29", "",
                "Cosy double near the park", ""]]
    result = runner.invoke(args=["import-bookings", write(tmp_path, "a.csv", airbnb_csv(settled))])
    assert result.exit_code == 0, result.output
    assert stored(app, "HMZ4HZCAP8")["dates"][0].isoformat() == "2031-02-03"

    unsettled = [["HMK7PX2VNQ", "Confirmed", "Ana Test", "", "2", "0", "0", "05/06/2031", "05/08/2031", "", "",
                  "Cosy double near the park", ""]]
    path = write(tmp_path, "b.csv", airbnb_csv(unsettled))
    refused = runner.invoke(args=["import-bookings", path])
    assert refused.exit_code != 0 and "--date-order dmy" in refused.output
    assert runner.invoke(args=["import-bookings", path, "--date-order", "dmy"]).exit_code == 0
    assert stored(app, "HMK7PX2VNQ")["dates"][0].isoformat() == "2031-06-05"


def test_unreadable_airbnb_rows_are_listed_with_their_line_and_the_rest_imported(app, runner, mapped, tmp_path, today):
    start = today + timedelta(days=30)
    rows = [
        airbnb_row("HMZ4HZCAP8", "Confirmed", "Ana Test", start, start + timedelta(days=2), "Cosy double near the park"),
        airbnb_row("HM!?", "Confirmed", "Bo Test", start, start + timedelta(days=2), "Cosy double near the park"),
        airbnb_row("HMK7PX2VNQ", "Pending", "Cy Test", start, start + timedelta(days=2), "Cosy double near the park"),
        airbnb_row("HMP3WQ8RTB", "Confirmed", "Di Test", start, start + timedelta(days=2), "Cosy double near the park",
                   nights=5),
    ]
    result = runner.invoke(args=["import-bookings", write(tmp_path, "r.csv", airbnb_csv(rows))])
    assert "Line 3: Confirmation code 'HM!?' must be 4 to 20 letters and digits" in result.output
    assert "Line 4: status 'Pending' is a request, not a booking" in result.output
    assert "Line 5: the dates give 2 nights but # of nights says 5" in result.output
    assert "1 added" in result.output and "3 line(s) not read" in result.output


@pytest.mark.parametrize("make_file", [booking_com_xls, booking_com_xlsx], ids=["xls", "xlsx"])
def test_booking_com_export_multi_room_and_cancellation(app, runner, mapped, tmp_path, today, make_file):
    start = today + timedelta(days=20)
    rows = [
        booking_com_row("4012345678", "Fictional, Priya", "Priya Fictional, Sam Fictional", start,
                        start + timedelta(days=2), "ok", "Double Room, Twin Room", rooms=2),
        booking_com_row("4098765432", "Madeup, Olu", "Olu Madeup", start, start + timedelta(days=1), "ok",
                        "Double Room"),
        booking_com_row("4055555555", "Invented, Kay", "Kay Invented", start, start + timedelta(days=4), "ok",
                        "Family Suite"),
    ]
    name = "Check-in.xlsx" if make_file is booking_com_xlsx else "Check-in.xls"
    path = write(tmp_path, name, make_file(rows))
    result = runner.invoke(args=["import-bookings", path])
    assert result.exit_code == 0, result.output
    assert "(booking.com): 4 added" in result.output
    first, second = stored(app, "4012345678"), stored(app, "4012345678R2")
    assert (first["room"], second["room"], first["surname"]) == ("Room 1", "Room 2", "Fictional")
    assert second["platform_reference"] == "4012345678"
    # Double Room stands for rooms 1 and 2, both taken those nights by the multi-room booking.
    assert (stored(app, "4098765432")["room"], stored(app, "4098765432")["waits_for"]) == (None, "Double Room")
    assert stored(app, "4055555555")["room"] is None

    assert "0 added, 0 updated, 0 cancelled, 4 unchanged" in runner.invoke(args=["import-bookings", path]).output

    rows[0][6] = "cancelled_by_guest"
    path = write(tmp_path, name, make_file(rows))
    dry = runner.invoke(args=["import-bookings", path, "--dry-run"])
    assert "0 added, 0 updated, 2 cancelled" in dry.output and not stored(app, "4012345678")["cancelled"]
    runner.invoke(args=["import-bookings", path])
    assert stored(app, "4012345678")["cancelled"] and stored(app, "4012345678R2")["cancelled"]


def test_a_cancelled_row_removes_the_live_code(app, runner, cloud, mapped, tmp_path, today, guest):
    with app.app_context():  # Room 1 is the demo's 40321 today: move it so the Airbnb guest gets Room 1
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "40321"))
        booking.room = db.session.scalar(db.select(Room).where(Room.name == "Room 2"))
        db.session.commit()
    rows = [airbnb_row("HMZ4HZCAP8", "Confirmed", "Ana García Márquez", today, today + timedelta(days=2),
                       "Cosy double near the park")]
    assert runner.invoke(args=["import-bookings", write(tmp_path, "r.csv", airbnb_csv(rows))]).exit_code == 0
    assert guest.check_in("hmz4 hzcap8", "Márquez").status_code == 302
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "HMZ4HZCAP8"))
        assert booking.check_in.pin_state == "ready"
    rows[0][1] = "Canceled by guest"
    result = runner.invoke(args=["import-bookings", write(tmp_path, "r.csv", airbnb_csv(rows))])
    assert "0 added, 0 updated, 1 cancelled" in result.output, result.output
    assert wait_for_removal(app, "HMZ4HZCAP8") == "done"  # the codes come off in the background
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "HMZ4HZCAP8"))
        assert booking.cancelled_at is not None and booking.check_in.pin_state == "revoked"
        assert all(code.removed_at is not None for code in booking.check_in.lock_codes)



@pytest.mark.parametrize(("language", "confirmed", "cancelled", "encoding", "delimiter"), [
    ("de", "Bestätigt", "Vom Gast storniert", "utf-16", "\t"),  # Excel's "Unicode text"
    ("es", "Confirmada", "Cancelada por el huésped", "utf-8-sig", ","),
    ("it", "Confermata", "Cancellata dall'ospite", "cp1252", ";"),
    ("pt", "Confirmada", "Cancelada pelo hóspede", "utf-8", ","),
])
def test_airbnb_exports_in_other_languages(app, runner, mapped, tmp_path, today, language, confirmed, cancelled,
                                           encoding, delimiter):
    start = today + timedelta(days=40)
    rows = [
        airbnb_row("HMZ4HZCAP8", confirmed, "Ana García Márquez", start, start + timedelta(days=3),
                   "Cosy double near the park", date_format="%Y-%m-%d"),
        airbnb_row("HMB2KQ7TXA", cancelled, "Tom Example", start, start + timedelta(days=2),
                   "Cosy double near the park", date_format="%Y-%m-%d"),
    ]
    data = airbnb_csv(rows, language=language, delimiter=delimiter, encoding=encoding)
    result = runner.invoke(args=["import-bookings", write(tmp_path, "export.csv", data)])
    assert result.exit_code == 0, result.output
    assert "(airbnb): 1 added, 0 updated, 0 cancelled, 0 unchanged." in result.output
    assert stored(app, "HMZ4HZCAP8")["surname"] == "García Márquez"


def test_a_format_asked_for_must_match_the_header(runner, demo, tmp_path, today):
    rows = [airbnb_row("HMZ4HZCAP8", "Confirmed", "Ana Test", today, today + timedelta(days=1), "Room 1")]
    result = runner.invoke(args=["import-bookings", write(tmp_path, "r.csv", airbnb_csv(rows)), "--format", "booking.com"])
    assert result.exit_code != 0 and "not that of Booking.com's reservations export" in result.output
