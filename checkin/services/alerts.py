"""Telling the owner something needs them. Never carries a PIN or a room link.

An alert is stored in the outbox, one row per channel, in one short transaction, and sent from a
background thread (checkin.services.alert_delivery): a guest's request never waits for a
mail server. The outbox's unique key makes each event alert once, however often it is raised.
"""
import hashlib
import logging
import re

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ..clock import property_today, utc_now
from ..extensions import db
from ..models import AlertOutbox, Booking, CheckIn
from .alert_delivery import alert_sender, configured_channels

log = logging.getLogger(__name__)


def alert_owner(event: str, booking_reference: str, what_to_do: str, *, dedupe_key: str | None = None) -> bool:
    """Record an event the owner must act on, naming the booking and the next step.

    Without a dedupe_key, the same event with the same words for the same booking alerts once.
    Returns True if this call raised a new alert.
    """
    body = f"{event} (booking {booking_reference}). {_without_pins(what_to_do, booking_reference)}"
    key = dedupe_key or "owner:" + hashlib.sha256(f"{event}\n{booking_reference}\n{body}".encode()).hexdigest()
    return _enqueue(key, f"{event}: booking {booking_reference}", body, booking_reference)


def alert_guest_needs_help(check_in: CheckIn | None) -> bool:
    """A guest is looking at the contact page: alert once per check-in (None, a stranger, is ignored)."""
    if check_in is None:
        return False
    booking = check_in.booking
    state = {"failed": "could not be made", "ready": "is ready", "pending": "is still being made"}
    pin = state.get(check_in.pin_state, "has not been started")
    return alert_owner(
        "A guest is asking for help",
        booking.reference,
        f"{booking.surname}, {booking.room.name}, arriving {booking.check_in_date:%a %d %b}: the door PIN {pin}. "
        "They were shown your phone number: open the owner dashboard and call or message them.",
        dedupe_key=f"guest-help:{check_in.id}",
    )


def alert_lock_problem(lock_name: str, problem: str) -> bool:
    """A lock check found a problem: alert once per lock, problem and day at the property."""
    digest = hashlib.sha256(f"{lock_name}\n{problem}".encode()).hexdigest()[:32]
    return _enqueue(
        f"lock:{property_today().isoformat()}:{digest}",
        f"Lock needs attention: {lock_name}",
        f"{lock_name}: {problem} Guests' PINs may not reach this lock until it is fixed.",
        None,
    )


def alert_calendar_problem(streak_key: str, room_name: str, where: str, failures: int, problem: str) -> bool:
    """A room's calendar failed several reads in a row: alert once per run of failures."""
    return _enqueue(
        f"calendar:{streak_key}",
        f"Calendar not read: {room_name}",
        f"The calendar of {room_name} ({where}) failed {failures} reads in a row: {problem} Bookings made or "
        "cancelled on it since are not here yet. Check the calendar link on the platform and run "
        "`flask --app wsgi sync-calendars`.",
        None,
    )


def finish_sending(timeout: float = 30.0) -> None:
    """For a command that raised alerts: let this process's sender try them once, then stop it.

    Without this, a command could exit while its sender thread is mid-send; the rows would then
    wait for the next `alerts send`.
    """
    sender = current_app.extensions.get("owner_alert_sender")
    if sender is not None:
        sender.shutdown(timeout)


def _enqueue(dedupe_key: str, subject: str, body: str, booking_reference: str | None) -> bool:
    channels = configured_channels(current_app.config)
    added = 0
    for channel in channels or ["log"]:
        # The log channel is delivered by the log line below: its row only remembers the alert.
        sent_at = utc_now() if channel == "log" else None
        statement = (
            _insert(AlertOutbox)
            .values(dedupe_key=dedupe_key, channel=channel, subject=subject[:200], body=body,
                    booking_reference=booking_reference, sent_at=sent_at)
            .on_conflict_do_nothing(index_elements=["dedupe_key", "channel"])
            # Rows returned, not rowcount: an INSERT with RETURNING has no rowcount on PostgreSQL.
            .returning(AlertOutbox.id)
        )
        added += len(db.session.execute(statement).all())
    db.session.commit()
    if not added:
        return False
    log.error("Owner alert: %s", body)
    if channels:
        alert_sender().wake()
    return True


def _without_pins(text: str, booking_reference: str) -> str:
    """Lock-cloud reasons come from outside: make sure none repeats this booking's PIN."""
    pins = db.session.scalars(
        select(CheckIn.pin).join(Booking, CheckIn.booking_id == Booking.id).where(
            Booking.reference == booking_reference, CheckIn.pin.is_not(None)
        )
    ).all()
    for pin in pins:
        text = re.sub(f"(?<![0-9]){re.escape(pin)}(?![0-9])", "[PIN]", text)
    return text


def _insert(table):
    """INSERT that can skip a row whose unique key exists, in the database's own dialect."""
    return (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(table)
