"""Moving a guest's PIN with their booking: another room, other dates, an early check-out.

The PIN stays the same (the guest already has it); its codes end up on exactly the booking's
current locks, valid for its current stay: placed on a lock it is missing from, deleted from a
lock it no longer belongs on, re-dated (`keyboardPwd/change`) on the others. A stay that has
ended (checked out early) or was cancelled keeps no code at all.

It runs in the runner's pool, never inside the owner's request, and under one gateway turn, so
two moves of one booking, or a move and a PIN job, never interleave their lock calls.
"""
import logging
from dataclasses import dataclass

from sqlalchemy import select

from ..clock import to_epoch_ms, utc_now
from ..extensions import db
from ..locks import DuplicatePasscode, LockCloudError
from ..models import AuditAction, CheckIn, LockCode, PinState
from ..stays import stay_window
from .cloud import lock_cloud
from .events import announce, pin_move_failed
from .plan import PinJobPlan, current_locks, passcode_name
from .removal import mark_removed, remove_lock_codes, take_code_off
from .runner import pin_jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _LiveCode:
    code_id: int
    lock_id: int
    ttlock_id: int
    lock_name: str
    passcode_id: int


def move_codes_in_background(check_in_id: int) -> None:
    """Queue the move of a check-in's codes to its booking's current locks and dates."""
    pin_jobs().run_in_background(move_codes, check_in_id)


def booking_moved_since(plan: PinJobPlan) -> bool:
    """Did the booking change room or dates after the job read its plan?"""
    check_in = db.session.get(CheckIn, plan.check_in_id)
    booking = check_in.booking
    moved = [lock.id for lock in current_locks(booking)] != [lock.id for lock in plan.locks] or stay_window(
        booking
    ) != (plan.valid_from, plan.valid_until)
    db.session.commit()
    return moved


def move_codes(check_in_id: int) -> None:
    """Put a ready PIN on exactly its booking's current locks, valid for its current stay.

    Only a ready PIN moves: a job still placing one moves its codes when it finishes (see
    job.py), and a revoked or failed PIN has none to move.
    """
    with lock_cloud().gateway_turn(_locks_touched(check_in_id)):
        check_in = db.session.get(CheckIn, check_in_id)
        if check_in is None or check_in.pin_state != PinState.READY or not check_in.pin:
            db.session.commit()
            return
        booking = check_in.booking
        reference, pin, job_id = booking.reference, check_in.pin, check_in.pin_job_id
        valid_from, valid_until = stay_window(booking)
        over = booking.cancelled_at is not None or utc_now() >= valid_until
        targets = [] if over else current_locks(booking)
        live = [
            _LiveCode(code.id, code.lock_id, code.lock.ttlock_id, code.lock.name, code.passcode_id)
            for code in check_in.lock_codes
            if code.removed_at is None
        ]
        db.session.commit()

        problems = []
        placed_on = {code.lock_id for code in live}
        for lock in targets:
            if lock.id in placed_on:
                continue
            try:
                passcode_id = _add_or_adopt(lock.ttlock_id, pin, passcode_name(reference), valid_from, valid_until)
            except LockCloudError as error:
                problems.append(f"{lock.name}: {error.reason}")
                continue
            db.session.add(
                LockCode(check_in_id=check_in_id, lock_id=lock.id, job_id=job_id, pin=pin, passcode_id=passcode_id)
            )
            db.session.commit()
        target_ids = {lock.id for lock in targets}
        for code in live:
            try:
                if code.lock_id in target_ids:
                    lock_cloud().change_passcode(code.ttlock_id, code.passcode_id, valid_from, valid_until)
                else:
                    take_code_off(code.ttlock_id, code.passcode_id, pin, passcode_name(reference))
                    mark_removed(code.code_id)
            except LockCloudError as error:
                problems.append(f"{code.lock_name}: {error.reason}")
    if not _still_the_same_pin(check_in_id, job_id):
        # Revoked or remade while the codes moved: what this move placed comes off too.
        remove_lock_codes(check_in_id, job_id=job_id)
        return
    # The same for every try of this move (the owner hears once), new for the next move.
    locks = "-".join(str(lock.id) for lock in targets)
    move_key = f"{job_id}:{locks}:{to_epoch_ms(valid_from)}:{to_epoch_ms(valid_until)}"
    _announce(reference, over, targets, problems, move_key)


def _locks_touched(check_in_id: int) -> list[int]:
    """TTLock ids of the locks a move may touch (where the codes are, where the booking is), so
    it holds the turns of their gateways while it reads the row and moves the codes."""
    check_in = db.session.get(CheckIn, check_in_id)
    if check_in is None:
        db.session.commit()
        return []
    locks = {code.lock.ttlock_id for code in check_in.lock_codes if code.removed_at is None}
    locks |= {lock.ttlock_id for lock in current_locks(check_in.booking)}
    db.session.commit()
    return sorted(locks)


def move_misplaced_codes() -> int:
    """Move again every ready PIN whose codes are not on exactly its booking's locks (a move that
    failed, or one a dead worker never ran); for the maintenance timer. Returns how many."""
    ready = db.session.scalars(select(CheckIn).where(CheckIn.pin_state == PinState.READY)).all()
    # A stay that is over or cancelled has nowhere to move to: the sweep removes its codes.
    misplaced = [check_in.id for check_in in ready if not _stay_over(check_in) and codes_misplaced(check_in)]
    db.session.commit()
    for check_in_id in misplaced:
        move_codes(check_in_id)
    return len(misplaced)


def codes_misplaced(check_in: CheckIn) -> bool:
    """A ready PIN whose live codes are not on exactly the locks its booking needs now (none,
    once the stay is over); a door with the guest's backup code (a gateway was offline) has its code."""
    if check_in.pin_state != PinState.READY:
        return False
    wanted = set() if _stay_over(check_in) else {lock.id for lock in current_locks(check_in.booking)}
    live = [code.lock_id for code in check_in.lock_codes if code.removed_at is None]
    backups = {backup.lock_id for backup in check_in.backup_codes}
    return len(live) != len(set(live)) or bool(set(live) - wanted) or bool(wanted - set(live) - backups)


def _stay_over(check_in: CheckIn) -> bool:
    booking = check_in.booking
    return booking.cancelled_at is not None or utc_now() >= stay_window(booking)[1]


def _add_or_adopt(ttlock_id: int, pin: str, name: str, valid_from, valid_until) -> int:
    """Add the PIN to a lock; if the lock already holds it under our name (an earlier move that
    lost its answer), take that code and give it these dates."""
    try:
        return lock_cloud().add_passcode(ttlock_id, pin, name, valid_from, valid_until)
    except DuplicatePasscode:
        existing = lock_cloud().find_passcode(ttlock_id, pin)
        if existing is None or existing.name != name:
            raise
        lock_cloud().change_passcode(ttlock_id, existing.passcode_id, valid_from, valid_until)
        return existing.passcode_id


def _still_the_same_pin(check_in_id: int, job_id: str) -> bool:
    state, current_job = db.session.execute(
        select(CheckIn.pin_state, CheckIn.pin_job_id).where(CheckIn.id == check_in_id)
    ).one()
    db.session.commit()
    return state == PinState.READY and current_job == job_id


def _announce(reference: str, over: bool, targets, problems: list[str], move_key: str) -> None:
    if problems:
        detail = "Moving the PIN failed on " + "; ".join(problems) + " The dashboard shows the booking until it is fixed."
        log.warning("Moving booking %s's PIN failed on %s lock(s)", reference, len(problems))
        announce(AuditAction.LOCK_ERROR, booking_reference=reference, detail=detail)
        pin_move_failed.send(AuditAction.LOCK_ERROR, booking_reference=reference, reason=detail, move_key=move_key)
    elif over:
        announce(AuditAction.PIN_MOVED, booking_reference=reference, detail="The stay is over: removed from every lock.")
    else:
        doors = ", ".join(lock.name for lock in targets)
        announce(AuditAction.PIN_MOVED, booking_reference=reference, detail=f"Now on {doors}, with the new dates.")
    log.info("Moved booking %s's PIN (%s problem(s))", reference, len(problems))
