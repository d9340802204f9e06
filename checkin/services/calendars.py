"""Rooms' calendars on the platforms (iCalendar feeds): stays become bookings, closed dates
become blocks for the owner to see.

An event finds its booking by the platform's code first (Airbnb's, in the reservation link),
its UID second. A feed that cannot be read changes nothing; the owner hears of it after a few
failures in a row. A future stay gone from its feed waits for the owner ("cancelled on the
calendar?"); one that has started or ended just left the feed, as feeds drop the past.
The feed's URL holds a secret token: only its host is ever logged or shown.
"""
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import requests
from flask import current_app
from icalendar import Calendar as ICalendar
from sqlalchemy import delete, or_, select

from ..clock import property_today, property_zone, utc_now
from ..extensions import db
from ..models import AuditAction, Booking, BookingSource, Calendar, CalendarBlock, Room
from .alerts import alert_calendar_problem
from .audit import record_event

log = logging.getLogger(__name__)

# Summaries of closed dates, not stays: "Airbnb (Not available)", "Blocked", "CLOSED - Not available".
BLOCK_SUMMARY = re.compile(r"not available|blocked|closed|unavailable", re.IGNORECASE)
# Airbnb's reservation link, on any of its domains, in both shapes it has had.
AIRBNB_CODE = re.compile(
    r"https?://(?:[\w-]+\.)*airbnb\.[a-z]{2,3}(?:\.[a-z]{2})?/"
    r"(?:hosting/reservations/details/|reservation/itinerary\?(?:[^\s]*&)?code=)([A-Z0-9]{6,12})\b",
    re.IGNORECASE,
)
PHONE_LAST_4 = re.compile(r"Last 4 Digits\)?\s*:\s*(\d{4})\b", re.IGNORECASE)


class CalendarRefused(ValueError):
    """The calendar cannot be added; the message says why, for the owner."""


class FeedUnreadable(Exception):
    """This read of the feed gives nothing to go by; the message never holds the URL."""


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    summary: str
    start: date
    end: date  # the check-out day
    code: str | None  # the platform's confirmation code, when the event gives it
    phone_last4: str | None

    @property
    def is_block(self) -> bool:
        return self.code is None and bool(BLOCK_SUMMARY.search(self.summary))


@dataclass
class SyncReport:
    calendar: str  # the room and the feed's host, never the URL
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    blocks: int = 0
    error: str | None = None
    alerted: bool = False


def where(url: str) -> str:
    """What may be shown of a calendar URL: its host (the path and query hold the secret)."""
    host = urlsplit(url).hostname or "?"
    return f"{host}/\u2026"


def add_calendar(room_name: str, url: str) -> tuple[Calendar, bool]:
    """Add the room's calendar, or find it if it is there already; (calendar, created)."""
    room = db.session.scalar(select(Room).where(Room.name == room_name))
    if room is None:
        known = ", ".join(db.session.scalars(select(Room.name).order_by(Room.name))) or "none"
        raise CalendarRefused(f"No room called {room_name!r} (known: {known}).")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise CalendarRefused("Give the calendar's full link, starting https://")
    existing = db.session.scalar(select(Calendar).where(Calendar.room_id == room.id, Calendar.url == url.strip()))
    if existing is not None:
        return existing, False
    calendar = Calendar(room_id=room.id, url=url.strip())
    db.session.add(calendar)
    db.session.commit()
    record_event(AuditAction.ROOM_SAVED, None, f"Calendar {where(url)} added to {room.name}")
    return calendar, True


def sync_calendars(force: bool = False) -> list[SyncReport]:
    """Read every calendar not read in the last CALENDAR_SYNC_MINUTES (all with force)."""
    interval = timedelta(minutes=float(current_app.config["CALENDAR_SYNC_MINUTES"]))
    reports = []
    for calendar in list(db.session.scalars(select(Calendar).order_by(Calendar.id))):
        if force or calendar.last_synced_at is None or utc_now() - calendar.last_synced_at >= interval:
            reports.append(sync_calendar(calendar))
    return reports


def sync_calendar(calendar: Calendar) -> SyncReport:
    report = SyncReport(f"{calendar.room.name} ({where(calendar.url)})")
    try:
        events = parse_feed(_fetch(calendar.url))
    except FeedUnreadable as problem:
        return _failed(calendar, report, str(problem))
    _apply(calendar, events, report)
    calendar.failures_in_row = 0
    calendar.last_error = None
    calendar.last_synced_at = utc_now()
    db.session.commit()
    for reference in report.missing:
        record_event(AuditAction.BOOKING_EDITED, reference,
                     "Gone from its calendar: cancelled there? Confirm or keep it under To sort out.")
    log.info("Calendar %s: %d added, %d updated, %d gone from the feed, %d blocks", report.calendar,
             len(report.added), len(report.updated), len(report.missing), report.blocks)
    return report


class _WithoutRequestPaths(logging.Filter):
    """urllib3 logs each request's path and query at DEBUG: a calendar's holds its secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple("/\u2026" if isinstance(arg, str) and arg.startswith("/") else arg
                                for arg in record.args)
        return True


def _hide_request_paths() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(existing, _WithoutRequestPaths) for existing in logger.filters):
        logger.addFilter(_WithoutRequestPaths())


def _fetch(url: str) -> bytes:
    _hide_request_paths()
    timeout = float(current_app.config["CALENDAR_TIMEOUT_SECONDS"])
    try:
        response = requests.get(url, timeout=(timeout, timeout), headers={"Accept": "text/calendar"})
    except requests.Timeout:
        raise FeedUnreadable(f"no answer within {timeout:g} seconds.") from None
    except requests.RequestException as error:
        # The exception's text holds the URL: name only its kind.
        raise FeedUnreadable(f"the connection failed ({type(error).__name__}).") from None
    if response.status_code >= 400:
        raise FeedUnreadable(f"the platform answered HTTP {response.status_code}.")
    if not response.content.strip():
        raise FeedUnreadable("the platform sent an empty calendar.")
    return response.content


def parse_feed(body: bytes) -> list[FeedEvent]:
    """The feed's events; FeedUnreadable if it is not an iCalendar file."""
    try:
        feed = ICalendar.from_ical(body)
    except (ValueError, IndexError, KeyError) as error:
        raise FeedUnreadable(f"the calendar could not be read ({type(error).__name__}).") from None
    if feed.name != "VCALENDAR":
        raise FeedUnreadable("the link did not give a calendar.")
    events = []
    for event in feed.walk("VEVENT"):
        try:
            events.append(_event(event))
        except (KeyError, ValueError, TypeError) as error:
            log.warning("Calendar event skipped: %s", type(error).__name__)
    return events


def _event(event) -> FeedEvent:
    start = _day(event.decoded("DTSTART"))
    if "DTEND" in event:
        end = _day(event.decoded("DTEND"))
    elif "DURATION" in event:
        end = _day(event.decoded("DTSTART") + event.decoded("DURATION"))
    else:
        end = start + timedelta(days=1)  # an all-day event without an end is that one day
    if end <= start:
        end = start + timedelta(days=1)
    description = str(event.get("DESCRIPTION", ""))
    code = AIRBNB_CODE.search(description)
    phone = PHONE_LAST_4.search(description)
    return FeedEvent(str(event["UID"]), str(event.get("SUMMARY", "")), start, end,
                     code.group(1).upper() if code else None, phone.group(1) if phone else None)


def _day(value) -> date:
    if isinstance(value, datetime):
        return value.astimezone(property_zone()).date() if value.tzinfo else value.date()
    return value


def _apply(calendar: Calendar, events: list[FeedEvent], report: SyncReport) -> None:
    today = property_today()
    db.session.execute(delete(CalendarBlock).where(CalendarBlock.calendar_id == calendar.id))
    for event in events:
        if event.is_block:
            db.session.add(CalendarBlock(calendar_id=calendar.id, summary=event.summary[:200] or "Not available",
                                         start_date=event.start, end_date=event.end))
            report.blocks += 1
    seen: set[int] = set()
    for event in events:
        if event.is_block:
            continue
        booking = _booking_for(calendar, event)
        if booking is None:
            if event.end < today:
                continue  # the past the feed still shows is of no use now
            booking = _new_booking(calendar, event)
            report.added.append(booking.reference)
        elif _update(booking, calendar, event):
            report.updated.append(booking.reference)
        db.session.flush()
        seen.add(booking.id)
    _mark_missing(calendar, seen, today, report)


def _booking_for(calendar: Calendar, event: FeedEvent) -> Booking | None:
    """The platform's code first, the event's UID second, then a booking of this room and these
    dates that no calendar has claimed (the same stay, imported from the platform's export)."""
    if event.code:
        found = db.session.scalar(select(Booking).where(
            or_(Booking.reference == event.code, Booking.platform_reference == event.code)).order_by(Booking.id))
        if found is not None:
            return found
    found = db.session.scalar(select(Booking).where(Booking.calendar_id == calendar.id,
                                                    Booking.calendar_uid == event.uid))
    if found is not None:
        return found
    return db.session.scalar(select(Booking).where(
        Booking.room_id == calendar.room_id, Booking.calendar_uid.is_(None), Booking.cancelled_at.is_(None),
        Booking.check_in_date == event.start, Booking.check_out_date == event.end).order_by(Booking.id))


def _new_booking(calendar: Calendar, event: FeedEvent) -> Booking:
    # No code (Booking.com, VRBO): a reference of our own until the owner or an import gives the real one.
    reference = event.code or "CAL" + hashlib.sha256(f"{calendar.id}:{event.uid}".encode()).hexdigest()[:10].upper()
    booking = Booking(
        reference=reference, platform_reference=event.code, surname="", phone_last4=event.phone_last4,
        room_id=calendar.room_id, source=BookingSource.AIRBNB if event.code else BookingSource.CALENDAR,
        calendar_id=calendar.id, calendar_uid=event.uid, check_in_date=event.start, check_out_date=event.end,
    )
    db.session.add(booking)
    return booking


def _update(booking: Booking, calendar: Calendar, event: FeedEvent) -> bool:
    """Dates from the feed, the phone digits if the booking has none; True if anything changed."""
    wanted = {"calendar_id": calendar.id, "calendar_uid": event.uid, "missing_from_calendar_at": None}
    if booking.cancelled_at is None:
        wanted |= {"check_in_date": event.start, "check_out_date": event.end}
    if booking.room_id is None:
        wanted["room_id"] = calendar.room_id
    if event.phone_last4 and not booking.phone_last4 and not booking.surname:
        wanted["phone_last4"] = event.phone_last4
    changed = [key for key, value in wanted.items() if getattr(booking, key) != value]
    for key in changed:
        setattr(booking, key, wanted[key])
    return bool(set(changed) - {"calendar_id", "calendar_uid"})


def _mark_missing(calendar: Calendar, seen: set[int], today: date, report: SyncReport) -> None:
    gone = db.session.scalars(select(Booking).where(
        Booking.calendar_id == calendar.id, Booking.id.not_in(seen), Booking.cancelled_at.is_(None),
        Booking.missing_from_calendar_at.is_(None), Booking.check_in_date > today))
    for booking in gone:
        booking.missing_from_calendar_at = utc_now()
        report.missing.append(booking.reference)


def _failed(calendar: Calendar, report: SyncReport, problem: str) -> SyncReport:
    calendar.failures_in_row += 1
    calendar.last_error = problem
    failures = calendar.failures_in_row
    streak = (calendar.last_synced_at or calendar.created_at).isoformat()
    db.session.commit()
    report.error = problem
    log.warning("Calendar %s not read (%d in a row): %s", report.calendar, failures, problem)
    if failures >= int(current_app.config["CALENDAR_ALERT_AFTER_FAILURES"]):
        report.alerted = alert_calendar_problem(f"{calendar.id}:{streak}", calendar.room.name,
                                                where(calendar.url), failures, problem)
    return report
