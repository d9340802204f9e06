"""Every table of the app: the property, bookings and check-ins, PIN codes on locks, the lock
cloud's state, rate limits, and the owner's accounts, audit trail and alert outbox.

Services own the units of work: nothing here commits.
"""
import enum
from datetime import date, datetime, timezone

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator

from .clock import utc_now
from .extensions import db


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC (SQLite has no zone) and gives them back aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the instant is ambiguous")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Lock(db.Model):
    __tablename__ = "locks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    ttlock_id: Mapped[int] = mapped_column(unique=True)
    is_front_door: Mapped[bool] = mapped_column(default=False)
    # Set when the lock refused a 4-digit PIN (TTLock -3006): its guests get 6 digits from then on.
    needs_six_digits: Mapped[bool] = mapped_column(default=False)
    # The gateway that carries commands to it, as the last lock check found (None: not known).
    gateway_id: Mapped[int | None]


class Room(db.Model):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    lock_id: Mapped[int | None] = mapped_column(ForeignKey("locks.id"))
    floor: Mapped[str] = mapped_column(String(40), default="")
    directions: Mapped[str] = mapped_column(Text, default="")
    wifi_name: Mapped[str] = mapped_column(String(80), default="")
    wifi_password: Mapped[str] = mapped_column(String(80), default="")

    lock: Mapped[Lock | None] = relationship()


class BookingSource(enum.StrEnum):
    """Where a booking came from."""

    OWNER = "owner"  # typed in, or our own CSV
    AIRBNB = "airbnb"
    BOOKING_COM = "booking.com"
    CALENDAR = "calendar"  # a calendar feed without a platform code (Booking.com, VRBO)


class Booking(db.Model):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique per row; a multi-room booking's rooms after the first get "<code>R2", "<code>R3"...
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # The code as the guest holds it (normalised), shared by a multi-room booking's rows.
    platform_reference: Mapped[str | None] = mapped_column(String(20), index=True)
    surname: Mapped[str] = mapped_column(String(100))  # "" when the source gave none
    phone_last4: Mapped[str | None] = mapped_column(String(4))  # from an Airbnb calendar event
    # None while the platform's room name maps to no room (the dashboard's "needs a room").
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    source: Mapped[BookingSource] = mapped_column(String(16), default=BookingSource.OWNER,
                                                  server_default=BookingSource.OWNER.value)
    source_room_name: Mapped[str | None] = mapped_column(String(200))  # listing title or unit type
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id"))
    calendar_uid: Mapped[str | None] = mapped_column(String(255), index=True)  # the event's UID
    # A future stay gone from its calendar: no code is placed until the owner decides.
    missing_from_calendar_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_in_date: Mapped[date]
    check_out_date: Mapped[date]
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    room: Mapped[Room | None] = relationship()
    check_in: Mapped["CheckIn | None"] = relationship(back_populates="booking")


class RoomName(db.Model):
    """A platform's name for rooms (an Airbnb listing title, a Booking.com unit type) and the
    rooms it stands for: several rooms for a unit type sold as "any of these"."""

    __tablename__ = "room_names"
    __table_args__ = (UniqueConstraint("source_name", "room_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_name: Mapped[str] = mapped_column(String(200), index=True)  # as normalize_room_name gives it
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))

    room: Mapped[Room] = relationship()


class Calendar(db.Model):
    """A room's iCalendar feed on a platform. The URL is a secret: logs show only its host."""

    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures_in_row: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)  # never holds the URL

    room: Mapped[Room] = relationship()


class CalendarBlock(db.Model):
    """Dates a calendar shows as closed ("Not available", "Blocked"): shown to the owner, never a booking."""

    __tablename__ = "calendar_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id"), index=True)
    summary: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date]
    end_date: Mapped[date]

    calendar: Mapped[Calendar] = relationship()


class PinState(enum.StrEnum):
    NOT_STARTED = "not_started"
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    REVOKED = "revoked"  # the owner took the codes off the locks
    # A gateway was offline before the arrival day: backup codes are issued on the day.
    AWAITING_DAY = "awaiting_day"


class RemovalState(enum.StrEnum):
    """Taking a revoked or cancelled guest's codes off the locks, in the background."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class CheckIn(db.Model):
    """One per booking: the guest's answers and the state of their door PIN."""

    __tablename__ = "check_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The id a guest's session holds; the integer key never leaves the server.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    full_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    # None until page 3 is answered; then True with a registration, or False for "no car".
    has_car: Mapped[bool | None]
    car_registration: Mapped[str | None] = mapped_column(String(12))

    pin_state: Mapped[PinState] = mapped_column(String(16), default=PinState.NOT_STARTED)
    pin: Mapped[str | None] = mapped_column(String(9))
    # Which run of the job owns the row: a stale job can never overwrite a newer one.
    pin_job_id: Mapped[str | None] = mapped_column(String(32))
    # The process running it ("host:pid:start") and its last sign of life, to tell a dead job.
    pin_job_owner: Mapped[str | None] = mapped_column(String(120))
    pin_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pin_attempts: Mapped[int] = mapped_column(default=0)
    pin_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pin_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pin_error: Mapped[str | None] = mapped_column(Text)  # for the owner, never the guest
    # After Revoke or Cancel: the codes coming off the locks (None: nothing asked).
    removal_state: Mapped[RemovalState | None] = mapped_column(String(16))
    removal_error: Mapped[str | None] = mapped_column(Text)  # for the owner

    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A hash of the key the confirming browser's session holds: only that browser carries on.
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    room_token_salt: Mapped[str | None] = mapped_column(String(64))
    room_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The PIN job whose PIN the room link shows: a revoked or remade PIN ends the link.
    room_link_job_id: Mapped[str | None] = mapped_column(String(32))

    booking: Mapped[Booking] = relationship(back_populates="check_in")
    lock_codes: Mapped[list["LockCode"]] = relationship(back_populates="check_in")
    backup_codes: Mapped[list["BackupCode"]] = relationship(back_populates="check_in")

    @property
    def details_given(self) -> bool:
        return self.full_name is not None

    @property
    def parking_answered(self) -> bool:
        return self.has_car is not None


class LockCode(db.Model):
    """A passcode this app put on one lock; removed_at is set once it is off the lock."""

    __tablename__ = "lock_codes"
    __table_args__ = (
        # At most one live code per lock for each run of the PIN job.
        Index(
            "one_live_code_per_lock_and_job",
            "check_in_id",
            "lock_id",
            "job_id",
            unique=True,
            sqlite_where=db.text("removed_at IS NULL"),
            postgresql_where=db.text("removed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    check_in_id: Mapped[int] = mapped_column(ForeignKey("check_ins.id"))
    lock_id: Mapped[int] = mapped_column(ForeignKey("locks.id"))
    job_id: Mapped[str] = mapped_column(String(32))
    pin: Mapped[str] = mapped_column(String(9))
    passcode_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    check_in: Mapped[CheckIn] = relationship(back_populates="lock_codes")
    lock: Mapped[Lock] = relationship()


class BackupCode(db.Model):
    """A code the lock checks without its gateway, issued while the gateway was offline.

    It cannot be deleted before its first use (TTLock -3008), so it ends by its own dates; once
    the guest has seen it (shown_at), it is theirs for the stay and never replaced.
    """

    __tablename__ = "backup_codes"
    __table_args__ = (UniqueConstraint("check_in_id", "lock_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_in_id: Mapped[int] = mapped_column(ForeignKey("check_ins.id"))
    lock_id: Mapped[int] = mapped_column(ForeignKey("locks.id"))
    passcode_id: Mapped[int]
    code: Mapped[str] = mapped_column(String(9))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    check_in: Mapped[CheckIn] = relationship(back_populates="backup_codes")
    lock: Mapped[Lock] = relationship()


class LockCheck(db.Model):
    """The latest readiness check of one lock: its problems (one a line, empty when ready)."""

    __tablename__ = "lock_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    lock_id: Mapped[int] = mapped_column(ForeignKey("locks.id"), unique=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    problems: Mapped[str] = mapped_column(Text, default="")
    urgent: Mapped[bool] = mapped_column(default=False)

    lock: Mapped[Lock] = relationship()


class SimulatedPasscode(db.Model):
    """The simulated lock cloud's memory, in the database so every worker sees the same locks."""

    __tablename__ = "simulated_passcodes"
    __table_args__ = (UniqueConstraint("lock_ttlock_id", "pin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lock_ttlock_id: Mapped[int]
    pin: Mapped[str] = mapped_column(String(9))
    name: Mapped[str] = mapped_column(String(64))
    # Epoch milliseconds pass 2**31: 64-bit columns on every database.
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)


class TTLockToken(db.Model):
    """The TTLock account's tokens, shared by every worker and kept across restarts."""

    __tablename__ = "ttlock_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    access_token: Mapped[str] = mapped_column(String(255))
    refresh_token: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class RateLimitCounter(db.Model):
    """Attempts one client made against one limit in one fixed window (a clock minute, hour or day).

    The key is a hash of the limit's scope and what is counted (a booking reference, an e-mail);
    the client (an IPv4 address or an IPv6 /64) is kept in clear for the owner's alerts. A row
    is of no use once its window has ended.
    """

    __tablename__ = "rate_limit_counters"
    __table_args__ = (UniqueConstraint("key_hash", "client", "window_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))  # "" when the limit is not per client
    window_end: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    count: Mapped[int] = mapped_column(default=0)


# The owner's tables.


class OwnerAccount(db.Model):
    __tablename__ = "owner_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Held in each of the account's sessions: signing out or a new password moves it on, and
    # every session holding an older one is over.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")


class AuditAction(enum.StrEnum):
    """What happened; AUDIT_LABELS says it in words for the audit page."""

    OWNER_LOGIN = "owner_login"
    OWNER_LOGOUT = "owner_logout"
    PIN_READY = "pin_ready"
    PIN_FAILED = "pin_failed"
    PIN_RETRIED = "pin_retried"
    PIN_REVOKED = "pin_revoked"
    PIN_SHOWN = "pin_shown"
    PIN_MOVED = "pin_moved"
    LOCK_ERROR = "lock_error"
    BOOKING_ADDED = "booking_added"
    BOOKING_EDITED = "booking_edited"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKINGS_IMPORTED = "bookings_imported"
    CODE_SWEPT = "code_swept"
    BACKUP_CODES_GIVEN = "backup_codes_given"
    LOCK_SAVED = "lock_saved"
    ROOM_SAVED = "room_saved"
    LOOKUP_TRIES_CLEARED = "lookup_tries_cleared"
    OWNER_UNLOCKED = "owner_unlocked"
    ROOM_NAME_MAPPED = "room_name_mapped"
    CALENDAR_FAILED = "calendar_failed"


AUDIT_LABELS = {
    AuditAction.OWNER_LOGIN: "Signed in",
    AuditAction.OWNER_LOGOUT: "Signed out everywhere",
    AuditAction.PIN_READY: "PIN ready",
    AuditAction.PIN_FAILED: "PIN failed",
    AuditAction.PIN_RETRIED: "PIN retried",
    AuditAction.PIN_REVOKED: "PIN revoked",
    AuditAction.PIN_SHOWN: "PIN shown to the owner",
    AuditAction.PIN_MOVED: "PIN moved to the booking's room and dates",
    AuditAction.LOCK_ERROR: "Lock error",
    AuditAction.BOOKING_ADDED: "Booking added",
    AuditAction.BOOKING_EDITED: "Booking changed",
    AuditAction.BOOKING_CANCELLED: "Booking cancelled",
    AuditAction.BOOKINGS_IMPORTED: "Bookings imported",
    AuditAction.CODE_SWEPT: "Old code removed from a lock",
    AuditAction.BACKUP_CODES_GIVEN: "Backup codes given (gateway offline)",
    AuditAction.LOCK_SAVED: "Lock saved",
    AuditAction.ROOM_SAVED: "Room saved",
    AuditAction.LOOKUP_TRIES_CLEARED: "Wrong-surname tries cleared",
    AuditAction.OWNER_UNLOCKED: "Failed sign-ins cleared",
    AuditAction.ROOM_NAME_MAPPED: "Platform room name mapped",
    AuditAction.CALENDAR_FAILED: "Calendar could not be read",
}


class AuditEvent(db.Model):
    """One owner action or PIN event: who (an owner's e-mail, or "system"), what, when, which booking."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[AuditAction] = mapped_column(String(32))
    booking_reference: Mapped[str | None] = mapped_column(String(20), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class AlertOutbox(db.Model):
    """One alert on one channel. The unique key makes each event alert once; sent_at marks delivery."""

    __tablename__ = "alert_outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key", "channel"),
        Index("alerts_waiting", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(16))  # webhook | email | log
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    booking_reference: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    attempts: Mapped[int] = mapped_column(default=0)
    # Also the lease of a sender that claimed the row: if it dies, the row is due again then.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)  # never holds a secret


class FunnelEvent(db.Model):
    """One anonymous step of some guest's check-in, for the owner's insights.

    No guest, booking, check-in or client address is stored, so these rows outlive the guest-data
    purge: only what happened and when, plus the few measures the insights page shows.
    """

    __tablename__ = "funnel_events"
    # The insights page reads one period at a time; this index keeps that a range scan.
    __table_args__ = (Index("funnel_events_by_time", "occurred_at", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    step: Mapped[str] = mapped_column(String(20))  # a checkin.services.insights.Step
    # Confirm only: how long the guest waited for the answer, and whether they confirmed before
    # the stay's check-in time.
    wait_ms: Mapped[int | None]
    before_arrival: Mapped[bool | None]
    # A PIN that could not be made: the lock concerned (None when no single lock was) and why.
    lock_name: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(200))
