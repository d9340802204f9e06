"""Guest data has a lifetime: what the app holds about a booking's guest, exported or erased.

A guest's name, phone number, e-mail, car registration, PIN and backup codes are erased
RETAIN_GUEST_DATA_DAYS after check-out (`purge-guest-data`, run by the maintenance timer), or at
once on the guest's request (`delete-guest-data`). What stays is anonymous history: the
booking's reference, dates and room, the PIN's state, which locks held a code and when, and the
audit trail's actions with the guest's words taken out. Rows keyed by a client's address follow
no booking: they are deleted by age.

Erased also means gone from the database file: SQLite zeroes what is deleted or overwritten
(secure_delete, set in database.py), and after a purge the file is rebuilt and its write-ahead
log emptied, so no old page keeps a copy.
"""
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.orm import selectinload

from ..clock import property_today, utc_now
from ..extensions import db
from ..locks import LockCloudError
from ..models import (
    AlertOutbox,
    AuditAction,
    AuditEvent,
    BackupCode,
    Booking,
    CheckIn,
    LockCode,
    RateLimitCounter,
)
from ..pins import revoke_pin
from ..stays import stay_window
from .bookings import normalize_reference

log = logging.getLogger(__name__)

ERASED = "[erased]"
# Rows that hold a client's address or another key of a person (hashed or not) and belong to no
# booking: their time column, and how long a row is of any use. Deleted by age, and never kept
# longer than RETAIN_GUEST_DATA_DAYS. A new table of that kind gets a line here.
# A rate-limit counter (it holds the client's address) is of no use once its window has ended.
AGED_ROWS = ((RateLimitCounter.window_end, timedelta(0)),)
# Audit actions whose detail was written with the guest's surname of that moment, which may
# since have been changed: their whole detail goes.
DETAIL_NAMES_THE_GUEST = {AuditAction.BOOKING_ADDED}


@dataclass
class PurgeReport:
    erased: list[str] = field(default_factory=list)  # booking references
    aged_rows: int = 0
    codes_forgotten: int = 0


def booking_by_reference(reference: str) -> Booking | None:
    """The booking with this reference (spaces and hyphens ignored), erased or not."""
    return db.session.scalar(select(Booking).where(Booking.reference == normalize_reference(reference)))


def purge_guest_data() -> PurgeReport:
    """Erase the guest data of stays that ended RETAIN_GUEST_DATA_DAYS ago, and aged rows.

    Safe to run at any time: a booking already erased is not touched again.
    """
    retention = timedelta(days=int(current_app.config["RETAIN_GUEST_DATA_DAYS"]))
    now = utc_now()
    candidates = db.session.scalars(
        select(Booking)
        .outerjoin(CheckIn, CheckIn.booking_id == Booking.id)
        .where(Booking.check_out_date <= property_today() - retention, _holds_guest_data())
        .options(selectinload(Booking.check_in))
    ).all()
    due = [booking for booking in candidates if stay_window(booking)[1] + retention <= now]
    _erase(due)
    report = PurgeReport(erased=[booking.reference for booking in due])
    report.aged_rows = _delete_aged_rows(now, retention)
    report.codes_forgotten = _forget_removed_codes()
    db.session.commit()
    if report.erased or report.aged_rows or report.codes_forgotten:
        _wipe_freed_space()
    return report


def delete_guest_data(booking: Booking) -> None:
    """Erase the guest's data now, after taking their codes off the locks.

    Raises LockCloudError if a lock could not be reached: the data is erased all the same, the
    PIN is revoked and its code stays recorded (without the guest's details) for the sweep.
    """
    unreachable = None
    if booking.check_in is not None:
        try:
            revoke_pin(booking.check_in, remove_now=True)
        except LockCloudError as error:
            unreachable = error
    _erase([booking])
    _forget_removed_codes()
    db.session.commit()
    _wipe_freed_space()
    if unreachable is not None:
        raise unreachable


def export_guest_data(booking: Booking) -> dict:
    """Everything held about the booking's guest, as JSON-ready data.

    The PIN's digits are left out while any of its codes is on a lock: a working door code does
    not travel in a file that may be mailed and kept (the guest has it on their room page). Once
    the codes are off every lock it opens nothing and is exported like the rest.
    """
    check_in = booking.check_in
    codes = check_in.lock_codes if check_in else []
    live = any(code.removed_at is None for code in codes)
    data = {
        "booking": {
            "reference": booking.reference,
            "surname": booking.surname,
            "phone_last_4_digits": booking.phone_last4,
            "room": booking.room.name if booking.room else None,
            "check_in_date": booking.check_in_date.isoformat(),
            "check_out_date": booking.check_out_date.isoformat(),
            "cancelled_at": _instant(booking.cancelled_at),
        },
        "check_in": None,
        "lock_codes": [
            {"lock": code.lock.name, "placed_at": _instant(code.created_at), "removed_at": _instant(code.removed_at)}
            for code in sorted(codes, key=lambda code: code.id)
        ],
        "audit_events": [
            {"at": _instant(event.created_at), "by": "system" if event.actor == "system" else "owner",
             "action": event.action, "detail": event.detail}
            for event in db.session.scalars(
                select(AuditEvent).where(AuditEvent.booking_reference == booking.reference).order_by(AuditEvent.id)
            )
        ],
        "alerts": [
            {"at": _instant(alert.created_at), "channel": alert.channel, "subject": alert.subject,
             "body": alert.body, "sent_at": _instant(alert.sent_at)}
            for alert in db.session.scalars(
                select(AlertOutbox).where(AlertOutbox.booking_reference == booking.reference).order_by(AlertOutbox.id)
            )
        ],
    }
    if check_in is not None:
        data["check_in"] = {
            "started_at": _instant(check_in.created_at),
            "full_name": check_in.full_name,
            "phone": check_in.phone,
            "email": check_in.email,
            "has_car": check_in.has_car,
            "car_registration": check_in.car_registration,
            "confirmed_at": _instant(check_in.confirmed_at),
            "pin_state": check_in.pin_state,
            "pin": "(withheld while it opens a door)" if live and check_in.pin else check_in.pin,
            # A backup code cannot be taken off its lock: it opens the door until its end.
            "backup_codes": [
                {"lock": backup.lock.name,
                 "code": "(withheld while it opens a door)" if backup.code and backup.valid_until > utc_now()
                 else backup.code}
                for backup in sorted(check_in.backup_codes, key=lambda backup: backup.id)
            ],
        }
    return data


def _wipe_freed_space() -> None:
    """Make sure erased rows are gone from the database file, not only from its tables.

    SQLite: VACUUM rebuilds the file (clearing pages freed before secure_delete was on) and a
    TRUNCATE checkpoint empties the write-ahead log, which holds old copies of changed pages.
    PostgreSQL keeps dead row versions until autovacuum reuses their space (see the README).
    """
    if db.engine.dialect.name != "sqlite":
        return
    db.session.remove()  # no transaction of this session may hold the file open
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM"))
        busy, _, _ = connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
    if busy:
        # A reader held the log past the busy timeout: its old frames stay until the log is reused.
        log.warning("The database's write-ahead log could not be emptied: a reader held it. "
                    "Old copies of erased rows stay in it until SQLite reuses the log.")


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _holds_guest_data():
    """Bookings (outer-joined with their check-in) that still hold something about the guest."""
    return or_(
        Booking.surname != "",
        Booking.phone_last4.is_not(None),
        CheckIn.full_name != "",
        CheckIn.phone != "",
        CheckIn.email != "",
        CheckIn.car_registration != "",
        CheckIn.pin.is_not(None),
        select(BackupCode.id).where(BackupCode.check_in_id == CheckIn.id, BackupCode.code != "").exists(),
    )


def _erase(bookings: list[Booking]) -> None:
    """Blank the guests' details and take their words out of the bookings' audit lines and alerts.

    Given answers become empty rather than missing, so the owner still sees that the guest
    checked in online and whether they came by car.
    """
    words = {booking.reference: _personal_words(booking) for booking in bookings}
    for booking in bookings:
        booking.surname = ""
        booking.phone_last4 = None
        check_in = booking.check_in
        if check_in is not None:
            for name in ("full_name", "phone", "email", "car_registration"):
                if getattr(check_in, name) is not None:
                    setattr(check_in, name, "")
            check_in.pin = None
            for backup in check_in.backup_codes:  # door codes, like the PIN
                backup.code = ""
            check_in.pin_error = _scrubbed(check_in.pin_error, words[booking.reference])
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.booking_reference.in_(words))):
        if event.action in DETAIL_NAMES_THE_GUEST:
            event.detail = ERASED
        else:
            event.detail = _scrubbed(event.detail, words[event.booking_reference])
    for alert in db.session.scalars(select(AlertOutbox).where(AlertOutbox.booking_reference.in_(words))):
        # The body named the guest as they were then; the subject says which event it was.
        alert.subject = _scrubbed(alert.subject, words[alert.booking_reference])
        alert.body = alert.subject
    if bookings:
        log.info("Erased the guest data of %d booking(s)", len(bookings))


def _personal_words(booking: Booking) -> list[str]:
    check_in = booking.check_in
    values = [booking.surname]
    if check_in is not None:
        values += [check_in.full_name, check_in.phone, check_in.email, check_in.car_registration, check_in.pin]
        values += [backup.code for backup in check_in.backup_codes]
        values += (check_in.full_name or "").split()
    words = {value.strip() for value in values if value and len(value.strip()) >= 2}
    return sorted(words, key=len, reverse=True)  # "Alex Testington" before "Alex"


def _scrubbed(text: str | None, words: list[str]) -> str | None:
    for word in words:
        if text:
            text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", ERASED, text, flags=re.IGNORECASE)
    return text


def _delete_aged_rows(now: datetime, retention: timedelta) -> int:
    deleted = 0
    for column, useful_for in AGED_ROWS:
        cutoff = now - min(useful_for, retention)
        deleted += db.session.execute(delete(column.class_).where(column < cutoff)).rowcount
    return deleted


def _forget_removed_codes() -> int:
    """A code off its lock opens nothing: its PIN is of no use to anyone (the id and times stay)."""
    return db.session.execute(
        update(LockCode).where(LockCode.removed_at.is_not(None), LockCode.pin != "").values(pin="")
    ).rowcount
