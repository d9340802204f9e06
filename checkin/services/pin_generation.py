"""Door PINs: one per booking, on the front door and the room lock, all or nothing.

Started in the background the moment the guest gives their details. The check-in row records
every step, and every write is conditional on the job still owning the row, so a job that was
superseded (revoked, or taken over after its worker died) stops and cleans up after itself.
"""
import logging
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select, update

from ..clock import to_epoch_ms, utc_now
from ..extensions import db
from ..jobs import pin_jobs, process_identity, process_is_dead
from ..locks import DuplicatePasscode, LockBusy, LockCloudError, PasscodeRejected, lock_cloud
from ..models import CheckIn, Lock, LockCode, PinState
from .audit import record_pin_event
from .code_removal import remove_lock_codes
from .owner_alerts import alert_owner
from .stays import stay_window

log = logging.getLogger(__name__)

# A lock may refuse a PIN that another code already uses: how many PINs to try per attempt.
PIN_PICKS_PER_ATTEMPT = 5


class JobSuperseded(Exception):
    """The row no longer belongs to this job."""


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
    return _claim_and_submit(
        check_in.id, CheckIn.pin_state.in_([PinState.NOT_STARTED, PinState.FAILED]), "Started"
    )


def resume_if_abandoned(check_in: CheckIn) -> bool:
    """Take over a pending job whose process died; safe to call from any worker, at any time."""
    if check_in.pin_state != PinState.PENDING or not _is_abandoned(check_in):
        return False
    return _claim_and_submit(
        check_in.id,
        (CheckIn.pin_state == PinState.PENDING) & (CheckIn.pin_job_id == check_in.pin_job_id),
        "Resumed an abandoned",
    )


def resume_abandoned_jobs() -> int:
    """Resume every abandoned PIN job (for a timer); returns how many were resumed."""
    pending = db.session.scalars(select(CheckIn).where(CheckIn.pin_state == PinState.PENDING)).all()
    return sum(resume_if_abandoned(check_in) for check_in in pending)


def _is_abandoned(check_in: CheckIn) -> bool:
    if check_in.pin_job_owner is None or process_is_dead(check_in.pin_job_owner):
        return True
    silence = timedelta(seconds=float(current_app.config["PIN_JOB_STALE_SECONDS"]))
    return check_in.pin_heartbeat_at is None or utc_now() - check_in.pin_heartbeat_at > silence


def _claim_and_submit(check_in_id: int, claimable, verb: str) -> bool:
    job_id = uuid.uuid4().hex
    now = utc_now()
    claimed = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == check_in_id, claimable)
        .values(
            pin_state=PinState.PENDING,
            pin_job_id=job_id,
            pin_job_owner=process_identity(),
            pin_heartbeat_at=now,
            pin_started_at=now,
            pin_finished_at=None,
            pin_error=None,
        )
    ).rowcount
    db.session.commit()
    if claimed:
        log.info("%s PIN job for check-in %s", verb, check_in_id)
        # Commit first, then submit: the job reads the row in its own session.
        pin_jobs().submit(check_in_id, job_id)
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
    # The PIN an earlier run was placing when it stopped: it may be on a lock unrecorded.
    earlier_pin: str | None


def run_pin_job(app: Flask, check_in_id: int, job_id: str) -> None:
    """The background job: never raises, always leaves the row ready or failed (or not ours)."""
    with app.app_context():
        try:
            _generate_pin(check_in_id, job_id)
        except JobSuperseded:
            _clean_up_superseded(check_in_id, job_id)
        except Exception:
            log.exception("PIN job for check-in %s crashed", check_in_id)
            db.session.rollback()
            _finish_failed(check_in_id, job_id, "Internal error while making the PIN; see the server log.")


def _generate_pin(check_in_id: int, job_id: str) -> None:
    plan = _plan_job(check_in_id, job_id)
    tried: set[str] = set()
    reason = "No lock is configured for this room or the front door."
    for attempt in range(1, int(current_app.config["PIN_ATTEMPTS"]) + 1):
        _count_attempt(plan)
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


def _plan_job(check_in_id: int, job_id: str) -> PinJobPlan:
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
        # Shown in the TTLock app; also how a code left by a timed-out call is recognised as ours.
        passcode_name=f"Guest {booking.reference}"[:32],
        locks=tuple(LockTarget(lock.id, lock.ttlock_id, lock.name) for lock in locks),
        valid_from=valid_from,
        valid_until=valid_until,
        earlier_pin=check_in.pin,
    )
    db.session.commit()
    return plan


def _update_owned_row(plan: PinJobPlan, **values) -> None:
    """Write to the check-in only while this job owns it; otherwise stop the job."""
    owned = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == plan.check_in_id, CheckIn.pin_job_id == plan.job_id, CheckIn.pin_state == PinState.PENDING)
        .values(**values)
    ).rowcount
    db.session.commit()
    if not owned:
        raise JobSuperseded


def _count_attempt(plan: PinJobPlan) -> None:
    _update_owned_row(plan, pin_attempts=CheckIn.pin_attempts + 1)


def _place_pin_on_every_lock(plan: PinJobPlan, tried: set[str]) -> str:
    """Put one new PIN on every lock in order; on any failure take it off those that have it."""
    if not plan.locks:
        raise LockCloudError("No lock is configured for this room or the front door.")
    # One turn at the gateway for the whole PIN: in a burst of arrivals the first guests' PINs
    # are done first, instead of every front-door command going before any room lock's.
    with lock_cloud().gateway_turn():
        for _ in range(PIN_PICKS_PER_ATTEMPT):
            _clear_earlier_codes(plan, tried)
            pin = choose_pin(_pins_in_use(plan) | tried)
            tried.add(pin)
            # Recorded before any lock is touched, so whoever takes over knows what to look for.
            _update_owned_row(plan, pin=pin)
            try:
                for lock in plan.locks:
                    passcode_id = _add_or_adopt(plan, lock, pin)
                    _record_lock_code(plan, lock, pin, passcode_id)
                return pin
            except (DuplicatePasscode, PasscodeRejected):
                continue
            except LockCloudError:
                remove_lock_codes(plan.check_in_id)
                raise
        remove_lock_codes(plan.check_in_id)
    raise PasscodeRejected(f"The locks refused {PIN_PICKS_PER_ATTEMPT} different PINs in a row.")


def _clear_earlier_codes(plan: PinJobPlan, tried: set[str]) -> None:
    """No half PIN and no second set: remove every recorded code, and any unrecorded one of ours."""
    remove_lock_codes(plan.check_in_id)
    if plan.earlier_pin is None or plan.earlier_pin in tried:
        return
    tried.add(plan.earlier_pin)
    for lock in plan.locks:
        passcode_id = _our_code_on_lock(plan, lock, plan.earlier_pin)
        if passcode_id is not None:
            lock_cloud().delete_passcode(lock.ttlock_id, passcode_id)
            log.info("Removed an unrecorded code of booking %s from %s", plan.booking_reference, lock.name)


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


def _our_code_on_lock(plan: PinJobPlan, lock: LockTarget, pin: str) -> int | None:
    """The id of this booking's code with this PIN on the lock, if there is one."""
    existing = lock_cloud().find_passcode(lock.ttlock_id, pin)
    ours = (
        existing is not None
        and existing.name == plan.passcode_name
        and existing.start_ms == to_epoch_ms(plan.valid_from)
        and existing.end_ms == to_epoch_ms(plan.valid_until)
    )
    return existing.passcode_id if ours else None


def _add_or_adopt(plan: PinJobPlan, lock: LockTarget, pin: str) -> int:
    """Add the PIN; if it may already be there (a duplicate, a timed-out add) and is ours, adopt it."""
    try:
        return lock_cloud().add_passcode(lock.ttlock_id, pin, plan.passcode_name, plan.valid_from, plan.valid_until)
    except (DuplicatePasscode, LockBusy) as error:
        # A busy or timed-out add may still have written the code: look before giving up on it.
        passcode_id = _our_code_on_lock(plan, lock, pin)
        if passcode_id is None:
            raise error
        log.info("Adopted the code already on %s for booking %s", lock.name, plan.booking_reference)
        return passcode_id


def _record_lock_code(plan: PinJobPlan, lock: LockTarget, pin: str, passcode_id: int) -> None:
    # Recorded even if the job was superseded meanwhile: the code is on the lock either way.
    db.session.add(
        LockCode(check_in_id=plan.check_in_id, lock_id=lock.id, job_id=plan.job_id, pin=pin, passcode_id=passcode_id)
    )
    db.session.commit()
    _update_owned_row(plan, pin_heartbeat_at=utc_now())


def _clean_up_superseded(check_in_id: int, job_id: str) -> None:
    log.info("PIN job for check-in %s was superseded; removing its codes", check_in_id)
    try:
        remove_lock_codes(check_in_id, job_id=job_id)
    except LockCloudError as error:
        log.warning("Superseded job's codes for check-in %s stay for the sweep: %s", check_in_id, error.reason)


def _finish_ready(plan: PinJobPlan, pin: str) -> None:
    _update_owned_row(plan, pin_state=PinState.READY, pin=pin, pin_finished_at=utc_now(), pin_error=None)
    log.info("PIN ready for booking %s", plan.booking_reference)
    record_pin_event("pin_ready", booking_reference=plan.booking_reference)


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
        record_pin_event("pin_failed", booking_reference=reference, detail=reason)
        alert_owner(
            "A guest's door PIN could not be made",
            reference,
            f"Reason: {reason} The guest has been shown your phone number; retry the PIN or give them a code.",
            dedupe_key=f"pin-failed:{job_id}",
        )
