"""The audit trail: owner actions and PIN events, who did them, when, for which booking."""
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import AuditAction, AuditEvent, Booking, CheckIn

log = logging.getLogger(__name__)

SYSTEM = "system"
# Who is acting in this thread: an owner's e-mail inside an owner's request, else the system.
# A PIN job runs in its own thread, so what it records is the system's, as it should be.
_actor: ContextVar[str] = ContextVar("audit_actor", default=SYSTEM)
AUDIT_PAGE_SIZE = 50


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Events recorded inside the block are attributed to this owner."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def record_event(action: AuditAction, booking_reference: str | None = None, detail: str = "") -> None:
    """Add one event to the trail and commit it. Never pass a PIN in `detail`."""
    db.session.add(
        AuditEvent(actor=_actor.get(), action=AuditAction(action), booking_reference=booking_reference, detail=detail)
    )
    db.session.commit()


def record_pin_event(
    action: str,
    *,
    check_in_id: int | None = None,
    booking_reference: str | None = None,
    detail: str = "",
) -> None:
    """Record an event of the PIN services; a failure to record is logged, never raised to them."""
    try:
        if booking_reference is None and check_in_id is not None:
            booking_reference = db.session.scalar(
                select(Booking.reference).join(CheckIn, CheckIn.booking_id == Booking.id).where(CheckIn.id == check_in_id)
            )
        record_event(AuditAction(action), booking_reference, detail)
    except SQLAlchemyError:
        # The lock work is done and committed: losing an audit line must not undo or stop it.
        db.session.rollback()
        log.exception("Could not record %s for booking %s in the audit trail", action, booking_reference)


def audit_page(page: int):
    """One page of the trail, newest first."""
    return db.paginate(
        select(AuditEvent).order_by(AuditEvent.id.desc()), page=page, per_page=AUDIT_PAGE_SIZE, error_out=False
    )


def events_for_booking(reference: str, limit: int = 20) -> list[AuditEvent]:
    """A booking's latest events, newest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.booking_reference == reference)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
