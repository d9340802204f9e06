"""Door PINs: one per booking, on the front door and the room lock, all or nothing.

Started in the background the moment the guest gives their details; the check-in row records
every step so any worker can tell where the job stands.
"""
import logging
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import select, update

from ..clock import to_epoch_ms, utc_now
from ..extensions import db
from ..jobs import pin_jobs
from ..locks import DuplicatePasscode, LockBusy, LockCloudError, PasscodeRejected, lock_cloud
from ..models import CheckIn, Lock, LockCode, PinState
from .owner_alerts import alert_owner
from .stays import stay_window

log = logging.getLogger(__name__)

# A lock may refuse a PIN that another code already uses: how many PINs to try per attempt.
PIN_PICKS_PER_ATTEMPT = 5


def is_acceptable_pin(pin: str) -> bool:
    """Four digits, no leading 0, not a run (1234, 8765) or a repeat (1111, 1212): TTLock refuses those."""
    if not re.fullmatch("[1-9][0-9]{3}", pin):
        return False
    # Modulo 10, so 7890 and 2109 count as runs too, as they do on a keypad.
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:])}
    return steps not in ({1}, {9}, {0}) and pin[:2] != pin[2:]


def choose_pin(excluded: set[str]) -> str:
    """A random acceptable PIN not among the excluded ones."""
    candidates = [
        pin for pin in map(str, range(1000, 10000)) if pin not in excluded and is_acceptable_pin(pin)
    ]
    if not candidates:
        raise PasscodeRejected("Every possible 4-digit PIN is already in use on these locks.")
    return secrets.choice(candidates)


def start_pin_generation(check_in: CheckIn) -> bool:
    """Claim the check-in for a new PIN job and submit it; False if one is pending or ready."""
    job_id = uuid.uuid4().hex
    claimed = db.session.execute(
        update(CheckIn)
        .where(
            CheckIn.id == check_in.id,
            CheckIn.pin_state.in_([PinState.NOT_STARTED, PinState.FAILED]),
        )
        .values(pin_state=PinState.PENDING, pin_job_id=job_id, pin_started_at=utc_now(), pin_error=None)
    ).rowcount
    db.session.commit()
    if claimed:
        # Commit first, then submit: the job reads the row in its own session.
        pin_jobs().submit(check_in.id, job_id)
    return bool(claimed)


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


def run_pin_job(app: Flask, check_in_id: int, job_id: str) -> None:
    """The background job: never raises, always leaves the row ready or failed (or not ours)."""
    with app.app_context():
        try:
            _generate_pin(check_in_id, job_id)
        except Exception:
            log.exception("PIN job for check-in %s crashed", check_in_id)
            db.session.rollback()
            _finish_failed(check_in_id, job_id, "Internal error while making the PIN; see the server log.")


def _generate_pin(check_in_id: int, job_id: str) -> None:
    plan = _plan_job(check_in_id, job_id)
    if plan is None:
        return
    tried: set[str] = set()
    reason = "No lock is configured for this room."
    for attempt in range(1, int(current_app.config["PIN_ATTEMPTS"]) + 1):
        if not _count_attempt(plan):
            return
        if attempt > 1:
            time.sleep(float(current_app.config["PIN_RETRY_DELAY_SECONDS"]))
        try:
            pin = _place_pin_on_every_lock(plan, tried)
        except LockCloudError as error:
            reason = error.reason
            log.warning("PIN attempt %s for booking %s failed: %s", attempt, plan.booking_reference, reason)
            if not error.retryable:
                break
            continue
        _finish_ready(plan, pin)
        return
    _finish_failed(check_in_id, job_id, reason)


def _plan_job(check_in_id: int, job_id: str) -> PinJobPlan | None:
    check_in = db.session.get(CheckIn, check_in_id)
    if check_in is None or check_in.pin_job_id != job_id or check_in.pin_state != PinState.PENDING:
        db.session.commit()
        return None
    booking = check_in.booking
    locks = [lock for lock in db.session.scalars(select(Lock).where(Lock.is_front_door)).all()]
    if booking.room.lock is not None and booking.room.lock not in locks:
        locks.append(booking.room.lock)
    valid_from, valid_until = stay_window(booking)
    plan = PinJobPlan(
        check_in_id=check_in.id,
        job_id=job_id,
        booking_reference=booking.reference,
        # Shown in the TTLock app; also how a code left by a timed-out call is recognised as ours.
        passcode_name=f"Guest {booking.reference}"[:32],
        locks=tuple(LockTarget(lock.id, lock.ttlock_id, lock.name) for lock in locks),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    db.session.commit()
    return plan


def _owns_row(plan: PinJobPlan):
    return (
        CheckIn.id == plan.check_in_id,
        CheckIn.pin_job_id == plan.job_id,
        CheckIn.pin_state == PinState.PENDING,
    )


def _count_attempt(plan: PinJobPlan) -> bool:
    counted = db.session.execute(
        update(CheckIn).where(*_owns_row(plan)).values(pin_attempts=CheckIn.pin_attempts + 1)
    ).rowcount
    db.session.commit()
    return bool(counted)


def _place_pin_on_every_lock(plan: PinJobPlan, tried: set[str]) -> str:
    """Put one new PIN on every lock in order; on any failure take it off those that have it."""
    if not plan.locks:
        raise LockCloudError("No lock is configured for this room or the front door.")
    for _ in range(PIN_PICKS_PER_ATTEMPT):
        _remove_live_codes(plan)
        pin = choose_pin(_pins_in_use(plan) | tried)
        tried.add(pin)
        try:
            for lock in plan.locks:
                passcode_id = _add_or_adopt(plan, lock, pin)
                _record_lock_code(plan, lock, pin, passcode_id)
            return pin
        except (DuplicatePasscode, PasscodeRejected):
            continue
        except LockCloudError:
            _remove_live_codes(plan)
            raise
    _remove_live_codes(plan)
    raise PasscodeRejected(f"The locks refused {PIN_PICKS_PER_ATTEMPT} different PINs in a row.")


def _pins_in_use(plan: PinJobPlan) -> set[str]:
    """PINs of other guests' codes on these locks, and of other jobs still placing theirs."""
    on_locks = select(LockCode.pin).where(
        LockCode.lock_id.in_([lock.id for lock in plan.locks]),
        LockCode.removed_at.is_(None),
        LockCode.check_in_id != plan.check_in_id,
    )
    being_placed = select(CheckIn.pin).where(
        CheckIn.pin_state == PinState.PENDING,
        CheckIn.pin.is_not(None),
        CheckIn.id != plan.check_in_id,
    )
    pins = set(db.session.scalars(on_locks.union(being_placed)).all())
    db.session.commit()
    return pins


def _add_or_adopt(plan: PinJobPlan, lock: LockTarget, pin: str) -> int:
    """Add the PIN; if it may already be there (a duplicate, a timed-out add) and is ours, adopt it."""
    try:
        return lock_cloud().add_passcode(lock.ttlock_id, pin, plan.passcode_name, plan.valid_from, plan.valid_until)
    except (DuplicatePasscode, LockBusy) as error:
        # A busy or timed-out add may still have written the code: look before giving up on it.
        existing = lock_cloud().find_passcode(lock.ttlock_id, pin)
        if (
            existing is None
            or existing.name != plan.passcode_name
            or existing.start_ms != to_epoch_ms(plan.valid_from)
            or existing.end_ms != to_epoch_ms(plan.valid_until)
        ):
            raise error
        log.info("Adopted the code already on lock %s for booking %s", lock.name, plan.booking_reference)
        return existing.passcode_id


def _record_lock_code(plan: PinJobPlan, lock: LockTarget, pin: str, passcode_id: int) -> None:
    db.session.add(LockCode(check_in_id=plan.check_in_id, lock_id=lock.id, pin=pin, passcode_id=passcode_id))
    db.session.execute(update(CheckIn).where(*_owns_row(plan)).values(pin=pin))
    db.session.commit()


def _remove_live_codes(plan: PinJobPlan) -> None:
    """Take this check-in's codes off their locks: no guest is left with half a PIN."""
    codes = db.session.execute(
        select(LockCode.id, LockCode.passcode_id, Lock.ttlock_id, Lock.name)
        .join(Lock, LockCode.lock_id == Lock.id)
        .where(LockCode.check_in_id == plan.check_in_id, LockCode.removed_at.is_(None))
    ).all()
    db.session.commit()
    for code_id, passcode_id, ttlock_id, lock_name in codes:
        lock_cloud().delete_passcode(ttlock_id, passcode_id)
        db.session.execute(update(LockCode).where(LockCode.id == code_id).values(removed_at=utc_now()))
        db.session.commit()
        log.info("Removed booking %s's code from lock %s", plan.booking_reference, lock_name)


def _finish_ready(plan: PinJobPlan, pin: str) -> None:
    done = db.session.execute(
        update(CheckIn)
        .where(*_owns_row(plan))
        .values(pin_state=PinState.READY, pin=pin, pin_finished_at=utc_now(), pin_error=None)
    ).rowcount
    db.session.commit()
    if done:
        log.info("PIN ready for booking %s", plan.booking_reference)
    else:
        log.warning("PIN job for booking %s no longer owns its check-in", plan.booking_reference)


def _finish_failed(check_in_id: int, job_id: str, reason: str) -> None:
    failed = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == check_in_id, CheckIn.pin_job_id == job_id, CheckIn.pin_state == PinState.PENDING)
        .values(pin_state=PinState.FAILED, pin_finished_at=utc_now(), pin_error=reason)
    ).rowcount
    db.session.commit()
    if failed:
        reference = db.session.get(CheckIn, check_in_id).booking.reference
        db.session.commit()
        alert_owner(
            "A guest's door PIN could not be made",
            reference,
            f"Reason: {reason} The guest has been shown your phone number; retry the PIN or give them a code.",
        )
