"""Rooms' calendars from the platforms, served by a loopback HTTP server: Airbnb-shaped and
Booking.com-shaped feeds, folded lines, DURATION, blocks, and every way a read can fail."""
import logging
from datetime import date, timedelta

import pytest
from booking_exports import (
    airbnb_block,
    airbnb_event,
    booking_com_event,
    booking_com_row,
    booking_com_xlsx,
    ics,
)
from feed_server import FeedServer

from checkin.clock import property_today
from checkin.extensions import db
from checkin.models import AlertOutbox, Booking, Calendar, CalendarBlock
from checkin.services.calendars import parse_feed

SECRET = "s3cr3t-t0ken-0123456789"
AIRBNB_PATH = f"/calendar/ical/12345678.ics?s={SECRET}"
BOOKING_PATH = f"/v1/export?t={SECRET}-b"


@pytest.fixture
def feeds():
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def today(app):
    with app.app_context():
        return property_today()


@pytest.fixture
def calendars(app, runner, demo, feeds):
    for room, path in (("Room 1", AIRBNB_PATH), ("Room 2", BOOKING_PATH)):
        result = runner.invoke(args=["add-calendar", room, feeds.url(path)])
        assert result.exit_code == 0, result.output
        assert SECRET not in result.output and "127.0.0.1/…" in result.output


def booking(app, **where):
    with app.app_context():
        query = db.select(Booking)
        for name, value in where.items():
            query = query.where(getattr(Booking, name) == value)
        found = db.session.scalar(query)
        if found is not None:
            db.session.expunge(found)
        return found


def airbnb_feed(today, *, with_second=True, extra=()):
    start = today + timedelta(days=10)
    events = [
        # Folded: the long description crosses the 75-octet line; a UK domain and the itinerary link.
        airbnb_event("1418fb94e984-aaaa@airbnb.com", start, start + timedelta(days=3), "HMZ4HZCAP8", "0123",
                     link="https://www.airbnb.co.uk/reservation/itinerary?code={code}"),
        airbnb_block("1418fb94e984-bbbb@airbnb.com", start + timedelta(days=20), start + timedelta(days=25)),
    ]
    if with_second:
        events.append(airbnb_event("1418fb94e984-cccc@airbnb.com", start + timedelta(days=5),
                                   start + timedelta(days=7), "HMK7PX2VNQ", "0456"))
    return ics(*events, *extra)


def test_an_airbnb_feed_gives_bookings_with_code_and_phone_digits_and_blocks(app, runner, calendars, feeds, today,
                                                                              guest):
    body = airbnb_feed(today)
    assert b"\r\n " in body  # folded, as the platforms send long lines
    feeds.answers[AIRBNB_PATH] = (200, body)
    feeds.answers[BOOKING_PATH] = (200, ics())
    result = runner.invoke(args=["sync-calendars"])
    assert result.exit_code == 0, result.output
    assert "Room 1 (127.0.0.1/…): 2 added, 0 updated, 0 gone from the calendar (to confirm), 1 closed period(s)." in result.output
    stay = booking(app, reference="HMZ4HZCAP8")
    assert (stay.phone_last4, stay.surname, stay.source, stay.check_in_date) == ("0123", "", "airbnb",
                                                                                today + timedelta(days=10))
    assert stay.check_out_date == today + timedelta(days=13)  # DTEND is the check-out day
    with app.app_context():
        assert [(b.summary, b.start_date) for b in db.session.scalars(db.select(CalendarBlock))] == [
            ("Airbnb (Not available)", today + timedelta(days=30))]
        assert db.session.scalar(db.select(db.func.count()).select_from(Booking).where(
            Booking.check_in_date == today + timedelta(days=30))) == 0  # a block is never a booking

    again = runner.invoke(args=["sync-calendars", "--force"])
    assert "Room 1 (127.0.0.1/…): 0 added, 0 updated" in again.output

    # The guest finds it with the last 4 digits of their phone, and page 1 says they may.
    page = guest.client.get("/").get_data(as_text=True)
    assert "Surname (or the last 4 digits of your phone number)" in page
    app.config["EARLY_CHECK_IN_DAYS"] = 30
    assert guest.find_booking("hmz4-hzcap8", "0123").headers["Location"] == "/details"


def test_a_booking_com_feed_gives_room_and_dates_then_the_export_brings_the_rest(app, runner, calendars, feeds,
                                                                                 today, tmp_path):
    start = today + timedelta(days=12)
    feeds.answers[AIRBNB_PATH] = (200, ics())
    feeds.answers[BOOKING_PATH] = (200, ics(booking_com_event("BDC-8a1f3c@booking.com", start, 2),
                                            booking_com_event("BDC-closed@booking.com", start + timedelta(days=9), 3,
                                                              summary="CLOSED - Not available")))
    assert runner.invoke(args=["sync-calendars"]).exit_code == 0
    stay = booking(app, calendar_uid="BDC-8a1f3c@booking.com")
    assert (stay.room_id is not None, stay.surname, stay.platform_reference) == (True, "", None)
    assert stay.check_out_date == start + timedelta(days=2)  # from DURATION
    assert stay.reference.startswith("CAL")

    # The owner's list says nobody can find it yet.
    from checkin.services.booking_inbox import inbox
    with app.app_context():
        assert [b.reference for b in inbox().needs_surname] == [stay.reference]

    # The extranet export names the same stay: it takes the booking over instead of adding another.
    runner.invoke(args=["map-room", "Twin Room", "Room 2"])
    path = tmp_path / "export.xlsx"
    path.write_bytes(booking_com_xlsx([booking_com_row("4012345678", "Fictional, Priya", "Priya Fictional", start,
                                                       start + timedelta(days=2), "ok", "Twin Room")]))
    result = runner.invoke(args=["import-bookings", str(path)])
    assert "0 added, 1 updated" in result.output, result.output
    adopted = booking(app, id=stay.id)
    assert (adopted.reference, adopted.surname, adopted.calendar_uid) == ("4012345678", "Fictional",
                                                                         "BDC-8a1f3c@booking.com")
    assert "0 added, 0 updated" in runner.invoke(args=["sync-calendars", "--force"]).output


@pytest.mark.parametrize(("answer", "why"), [
    ((500, b"Internal Server Error"), "HTTP 500"),
    ((200, b""), "empty calendar"),
    ((200, b"<html><body>Sign in</body></html>"), "could not be read"),
])
def test_a_feed_that_cannot_be_read_changes_nothing_and_alerts_after_a_few(app, runner, calendars, feeds, today,
                                                                          answer, why):
    feeds.answers[AIRBNB_PATH] = (200, airbnb_feed(today))
    feeds.answers[BOOKING_PATH] = (200, ics())
    runner.invoke(args=["sync-calendars"])
    feeds.answers[AIRBNB_PATH] = answer
    for attempt in range(3):
        result = runner.invoke(args=["sync-calendars", "--force"])
        assert result.exit_code == 1 and why in result.output
    assert booking(app, reference="HMZ4HZCAP8").missing_from_calendar_at is None
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CalendarBlock)) == 1
        alerts = list(db.session.scalars(db.select(AlertOutbox).where(AlertOutbox.dedupe_key.like("calendar:%"))))
        assert len(alerts) == 1 and "failed 3 reads in a row" in alerts[0].body and SECRET not in alerts[0].body
        assert db.session.scalar(db.select(Calendar).where(Calendar.room.has(name="Room 1"))).failures_in_row == 3


def test_a_slow_feed_times_out_and_the_url_is_never_logged(app, runner, calendars, feeds, today, caplog):
    app.config["CALENDAR_TIMEOUT_SECONDS"] = 0.2
    feeds.answers[AIRBNB_PATH] = (200, airbnb_feed(today))
    feeds.answers[BOOKING_PATH] = (200, ics())
    feeds.delay[AIRBNB_PATH] = 1.0
    with caplog.at_level(logging.DEBUG):
        result = runner.invoke(args=["sync-calendars"])
    assert "no answer within 0.2 seconds" in result.output
    assert SECRET not in result.output
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    assert booking(app, reference="HMZ4HZCAP8") is None


def test_a_future_stay_gone_from_the_feed_waits_for_the_owner_a_started_one_does_not(app, runner, calendars, feeds,
                                                                                    today, guest):
    started = airbnb_event("started@airbnb.com", today - timedelta(days=1), today + timedelta(days=1), "HMSTARTED1",
                           "0789")
    feeds.answers[AIRBNB_PATH] = (200, airbnb_feed(today, extra=[started]))
    feeds.answers[BOOKING_PATH] = (200, ics())
    assert runner.invoke(args=["sync-calendars"]).exit_code == 0
    assert booking(app, reference="HMSTARTED1") is not None

    feeds.answers[AIRBNB_PATH] = (200, airbnb_feed(today, with_second=False))  # both stays gone
    result = runner.invoke(args=["sync-calendars", "--force"])
    assert "1 gone from the calendar (to confirm)" in result.output
    assert booking(app, reference="HMK7PX2VNQ").missing_from_calendar_at is not None
    assert booking(app, reference="HMSTARTED1").missing_from_calendar_at is None  # feeds drop the past
    assert booking(app, reference="HMK7PX2VNQ").cancelled_at is None  # the owner decides

    app.config["EARLY_CHECK_IN_DAYS"] = 30
    page = guest.find_booking("HMK7PX2VNQ", "0456")
    assert b"not quite ready for online check-in" in page.data  # no code is made meanwhile


def test_the_parser_takes_both_airbnb_link_shapes_and_escaped_text():
    day = date(2031, 5, 1)  # parsing only: no "today" involved
    body = ics(
        airbnb_event("a@airbnb.com", day, day + timedelta(days=2), "HMAAAA1111", "1111"),
        airbnb_event("b@airbnb.com", day, day + timedelta(days=2), "HMBBBB2222", "2222",
                     link="https://fr.airbnb.ca/reservation/itinerary?code={code}&ref=email"),
        "BEGIN:VEVENT\nUID:c@example.com\nDTSTART;VALUE=DATE:20310501\nDTEND;VALUE=DATE:20310503\n"
        "SUMMARY:Blocked\\, owner's stay\nEND:VEVENT",
    )
    events = parse_feed(body)
    assert [(e.code, e.phone_last4, e.is_block) for e in events] == [
        ("HMAAAA1111", "1111", False), ("HMBBBB2222", "2222", False), (None, None, True)]
    assert events[2].summary == "Blocked, owner's stay"


def test_the_airbnb_export_completes_a_calendar_booking_with_the_same_code(app, runner, calendars, feeds, today,
                                                                          tmp_path):
    from booking_exports import airbnb_csv, airbnb_row

    feeds.answers[AIRBNB_PATH] = (200, airbnb_feed(today))
    feeds.answers[BOOKING_PATH] = (200, ics())
    runner.invoke(args=["sync-calendars"])
    start = today + timedelta(days=10)
    path = tmp_path / "reservations.csv"
    path.write_bytes(airbnb_csv([airbnb_row("HMZ4HZCAP8", "Confirmed", "Ana García Márquez", start,
                                            start + timedelta(days=3), "Cosy double near the park")]))
    result = runner.invoke(args=["import-bookings", str(path)])
    assert "0 added, 1 updated" in result.output, result.output
    stay = booking(app, reference="HMZ4HZCAP8")
    # The listing is not mapped yet: the booking keeps the calendar's room rather than losing it.
    assert (stay.surname, stay.phone_last4, stay.room_id is not None) == ("García Márquez", "0123", True)
