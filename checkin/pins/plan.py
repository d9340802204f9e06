"""What a PIN job works from, read once, and the only way it writes to its check-in row.

Every write is conditional on the job still owning the row, so a job that was superseded
(revoked, or taken over after its worker died) learns it at its next write and stops.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from ..clock import utc_now
from ..extensions import db
from ..models import Booking, CheckIn, Lock, PinState
from ..stays import stay_window


def passcode_name(booking_reference: str) -> str:
    """The name our codes carry on a lock: shown in the TTLock app, and how a code a lost answer
    left (or one the cloud lists under another id) is recognised as ours."""
    return f"Guest {booking_reference}"[:32]


class JobSuperseded(Exception):
    """The row no longer belongs to this job."""


class BookingNoLongerValid(JobSuperseded):
    """The booking was cancelled or its stay ended while the job ran: no code may go on a lock."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LockTarget:
    id: int
    ttlock_id: int
    name: str


@dataclass(frozen=True)
class PinJobPlan:
    """Everything the job needs, read once, so no transaction stays open across lock calls."""

    check_in_id: int
    job_id: str
    booking_reference: str
    passcode_name: str
    locks: tuple[LockTarget, ...]
    valid_from: datetime
    valid_until: datetime
    # The PIN an earlier run was placing when it stopped: it may be on a lock unrecorded.
    earlier_pin: str | None


def current_locks(booking: Booking) -> list[Lock]:
    """The locks a booking's PIN belongs on now: every front door, then its room's lock."""
    locks = list(db.session.scalars(select(Lock).where(Lock.is_front_door)))
    if booking.room.lock is not None and booking.room.lock not in locks:
        locks.append(booking.room.lock)
    return locks


def plan_job(check_in_id: int, job_id: str) -> PinJobPlan:
    check_in = db.session.get(CheckIn, check_in_id)
    if check_in is None or check_in.pin_job_id != job_id or check_in.pin_state != PinState.PENDING:
        db.session.commit()
        raise JobSuperseded
    booking = check_in.booking
    locks = current_locks(booking)
    valid_from, valid_until = stay_window(booking)
    plan = PinJobPlan(
        check_in_id=check_in.id,
        job_id=job_id,
        booking_reference=booking.reference,
        passcode_name=passcode_name(booking.reference),
        locks=tuple(LockTarget(lock.id, lock.ttlock_id, lock.name) for lock in locks),
        valid_from=valid_from,
        valid_until=valid_until,
        earlier_pin=check_in.pin,
    )
    db.session.commit()
    return plan


def update_owned_row(plan: PinJobPlan, **values) -> None:
    """Write to the check-in only while this job owns it and its booking still stands; otherwise
    stop the job. Every lock call of a job comes right after one of these writes, so a booking
    cancelled or ended (or cut short) while the job runs gets no further code."""
    _refuse_if_booking_no_longer_valid(plan)
    owned = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == plan.check_in_id, CheckIn.pin_job_id == plan.job_id, CheckIn.pin_state == PinState.PENDING)
        .values(**values)
    ).rowcount
    db.session.commit()
    if not owned:
        raise JobSuperseded


def _refuse_if_booking_no_longer_valid(plan: PinJobPlan) -> None:
    booking = db.session.scalar(select(Booking).join(CheckIn).where(CheckIn.id == plan.check_in_id))
    reason = None
    if booking.cancelled_at is not None:
        reason = "The booking was cancelled, so no PIN was placed."
    elif utc_now() >= stay_window(booking)[1]:
        reason = "The stay has ended, so no PIN was placed."
    db.session.commit()
    if reason is not None:
        raise BookingNoLongerValid(reason)
