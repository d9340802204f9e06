"""What a PIN job works from, read once, and the only way it writes to its check-in row.

Every write is conditional on the job still owning the row, so a job that was superseded
(revoked, or taken over after its worker died) learns it at its next write and stops.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from ..extensions import db
from ..models import CheckIn, Lock, PinState
from ..stays import stay_window


def passcode_name(booking_reference: str) -> str:
    """The name our codes carry on a lock: shown in the TTLock app, and how a code a lost answer
    left (or one the cloud lists under another id) is recognised as ours."""
    return f"Guest {booking_reference}"[:32]


class JobSuperseded(Exception):
    """The row no longer belongs to this job."""


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


def plan_job(check_in_id: int, job_id: str) -> PinJobPlan:
    check_in = db.session.get(CheckIn, check_in_id)
    if check_in is None or check_in.pin_job_id != job_id or check_in.pin_state != PinState.PENDING:
        db.session.commit()
        raise JobSuperseded
    booking = check_in.booking
    locks = list(db.session.scalars(select(Lock).where(Lock.is_front_door)))
    if booking.room.lock is not None and booking.room.lock not in locks:
        locks.append(booking.room.lock)
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
    """Write to the check-in only while this job owns it; otherwise stop the job."""
    owned = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == plan.check_in_id, CheckIn.pin_job_id == plan.job_id, CheckIn.pin_state == PinState.PENDING)
        .values(**values)
    ).rowcount
    db.session.commit()
    if not owned:
        raise JobSuperseded
