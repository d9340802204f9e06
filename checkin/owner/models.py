"""The owner's tables: accounts, the audit trail and the alert outbox. Nothing here commits."""
import enum
from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utc_now
from ..extensions import db
from ..models import UTCDateTime


class OwnerAccount(db.Model):
    __tablename__ = "owner_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditAction(enum.StrEnum):
    """What happened; AUDIT_LABELS says it in words for the audit page."""

    OWNER_LOGIN = "owner_login"
    OWNER_LOGOUT = "owner_logout"
    PIN_READY = "pin_ready"
    PIN_FAILED = "pin_failed"
    PIN_RETRIED = "pin_retried"
    PIN_REVOKED = "pin_revoked"
    PIN_SHOWN = "pin_shown"
    LOCK_ERROR = "lock_error"
    BOOKING_ADDED = "booking_added"
    BOOKING_EDITED = "booking_edited"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKINGS_IMPORTED = "bookings_imported"
    CODE_SWEPT = "code_swept"
    LOCK_SAVED = "lock_saved"
    ROOM_SAVED = "room_saved"


AUDIT_LABELS = {
    AuditAction.OWNER_LOGIN: "Signed in",
    AuditAction.OWNER_LOGOUT: "Signed out",
    AuditAction.PIN_READY: "PIN ready",
    AuditAction.PIN_FAILED: "PIN failed",
    AuditAction.PIN_RETRIED: "PIN retried",
    AuditAction.PIN_REVOKED: "PIN revoked",
    AuditAction.PIN_SHOWN: "PIN shown to the owner",
    AuditAction.LOCK_ERROR: "Lock error",
    AuditAction.BOOKING_ADDED: "Booking added",
    AuditAction.BOOKING_EDITED: "Booking changed",
    AuditAction.BOOKING_CANCELLED: "Booking cancelled",
    AuditAction.BOOKINGS_IMPORTED: "Bookings imported",
    AuditAction.CODE_SWEPT: "Old code removed from a lock",
    AuditAction.LOCK_SAVED: "Lock saved",
    AuditAction.ROOM_SAVED: "Room saved",
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
