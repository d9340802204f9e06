"""Taking codes off the locks: after a failed attempt, on the owner's word, and after a stay."""
import logging
import uuid
from dataclasses import dataclass
from sqlalchemy import select, update

from ..clock import utc_now
from ..extensions import db
from ..locks import LockCloudError, PasscodeNotFound
from ..models import AuditAction, Booking, CheckIn, Lock, LockCode, PinState, RemovalState
from ..stays import stay_window
from .cloud import lock_cloud
from .events import announce
from .plan import current_locks, passcode_name
from .runner import pin_jobs

log = logging.getLogger(__name__)


def remove_lock_codes(check_in_id: int, job_id: str | None = None) -> None:
    """Delete a check-in's live codes (only one job's, if given) from their locks.

    Raises LockCloudError if a lock cannot be reached; codes not removed stay recorded as live,
    so a later attempt or the sweep removes them.
    """
    query = (
        select(LockCode.id, LockCode.passcode_id, LockCode.pin, Lock.ttlock_id, Lock.name, Booking.reference)
        .join(Lock, LockCode.lock_id == Lock.id)
        .join(CheckIn, LockCode.check_in_id == CheckIn.id)
        .join(Booking, CheckIn.booking_id == Booking.id)
        .where(LockCode.check_in_id == check_in_id, LockCode.removed_at.is_(None))
    )
    if job_id is not None:
        query = query.where(LockCode.job_id == job_id)
    codes = db.session.execute(query).all()
    db.session.commit()
    for code_id, passcode_id, pin, ttlock_id, lock_name, reference in codes:
        take_code_off(ttlock_id, passcode_id, pin, passcode_name(reference))
        mark_removed(code_id)
        log.info("Removed check-in %s's code from %s", check_in_id, lock_name)


def take_code_off(ttlock_id: int, passcode_id: int, pin: str, name: str) -> None:
    """Delete our code from the lock. If the cloud knows no such id (-2009), look for our code
    by PIN before taking it as gone: one the cloud lists under another id comes off too."""
    try:
        lock_cloud().delete_passcode(ttlock_id, passcode_id)
        return
    except PasscodeNotFound:
        pass
    listed = lock_cloud().find_passcode(ttlock_id, pin)
    if listed is None or listed.name != name or listed.passcode_id == passcode_id:
        log.info("Passcode %s was already gone from lock %s", passcode_id, ttlock_id)
        return
    log.info("Our code was on lock %s under passcode id %s, not %s; removing it", ttlock_id,
             listed.passcode_id, passcode_id)
    try:
        lock_cloud().delete_passcode(ttlock_id, listed.passcode_id)
    except PasscodeNotFound:
        pass  # gone between the list and the delete


def mark_removed(code_id: int) -> None:
    """Record that a code is off its lock."""
    db.session.execute(
        update(LockCode).where(LockCode.id == code_id, LockCode.removed_at.is_(None)).values(removed_at=utc_now())
    )
    db.session.commit()


def revoke_pin(check_in: CheckIn, remove_now: bool = False) -> None:
    """Stop the guest's PIN: any running job is superseded, then the codes come off the locks in
    the background (see removal_state), so the owner's request never waits on a gateway.

    remove_now: take them off in this thread instead (a command that must say they are off);
    LockCloudError if a lock cannot be reached, the rest left to the sweep.
    """
    revoked = db.session.execute(
        update(CheckIn)
        .where(
            CheckIn.id == check_in.id,
            CheckIn.pin_state.in_([PinState.PENDING, PinState.READY, PinState.FAILED, PinState.AWAITING_DAY]),
        )
        # A fresh job id that no job runs under: the old job finds itself superseded and stops.
        .values(pin_state=PinState.REVOKED, pin_job_id=uuid.uuid4().hex, pin_job_owner=None, pin_finished_at=utc_now())
    ).rowcount
    db.session.commit()
    if revoked:
        announce(AuditAction.PIN_REVOKED, check_in_id=check_in.id)
    if not remove_now:
        queue_code_removal(check_in.id)
        return
    _finish_removal(check_in.id, RemovalState.PENDING, None)
    try:
        remove_lock_codes(check_in.id)
    except LockCloudError as error:
        _finish_removal(check_in.id, RemovalState.FAILED, error.reason)
        raise
    _finish_removal(check_in.id, RemovalState.DONE, None)


def queue_code_removal(check_in_id: int) -> None:
    """Mark the check-in's codes as coming off the locks and hand the work to the job runner."""
    db.session.execute(
        update(CheckIn).where(CheckIn.id == check_in_id).values(removal_state=RemovalState.PENDING, removal_error=None)
    )
    db.session.commit()
    # If this process is shutting down the row stays pending: the sweep finishes the removal.
    pin_jobs().run_in_background(_run_code_removal, check_in_id)


def _run_code_removal(check_in_id: int) -> None:
    """The background removal: never raises; the row says done, or failed with the reason."""
    try:
        remove_lock_codes(check_in_id)
    except LockCloudError as error:
        _finish_removal(check_in_id, RemovalState.FAILED, error.reason)
        reference = db.session.get(CheckIn, check_in_id).booking.reference
        db.session.commit()
        announce(AuditAction.LOCK_ERROR, booking_reference=reference,
                 detail=f"{error.reason} The code stays recorded for the sweep.")
    except Exception:
        log.exception("Removing the codes of check-in %s crashed", check_in_id)
        db.session.rollback()
        _finish_removal(check_in_id, RemovalState.FAILED, "Internal error while removing the codes; see the log.")
    else:
        _finish_removal(check_in_id, RemovalState.DONE, None)


def _finish_removal(check_in_id: int, state: RemovalState, error: str | None) -> None:
    db.session.execute(
        update(CheckIn).where(CheckIn.id == check_in_id).values(removal_state=state, removal_error=error)
    )
    db.session.commit()


@dataclass
class SweepReport:
    removed: int = 0
    failed: list[str] | None = None


def sweep_codes() -> SweepReport:
    """Delete every live code that should no longer open a door; safe to run at any time.

    That is: stays that ended, cancelled bookings, revoked or failed PINs, codes on a lock that
    is not one of the booking's current locks, and codes left by a superseded job once the
    current one is done.
    """
    report = SweepReport(failed=[])
    rows = db.session.execute(
        select(LockCode, CheckIn, Lock)
        .join(CheckIn, LockCode.check_in_id == CheckIn.id)
        .join(Lock, LockCode.lock_id == Lock.id)
        .where(LockCode.removed_at.is_(None))
    ).all()
    now = utc_now()
    due = [
        (code.id, code.passcode_id, code.pin, lock.ttlock_id, lock.name, check_in.booking.reference)
        for code, check_in, lock in rows
        if _code_is_due(code, check_in, now)
    ]
    db.session.commit()
    for code_id, passcode_id, pin, ttlock_id, lock_name, reference in due:
        try:
            take_code_off(ttlock_id, passcode_id, pin, passcode_name(reference))
        except LockCloudError as error:
            report.failed.append(f"booking {reference} on {lock_name}: {error.reason}")
            continue
        mark_removed(code_id)
        report.removed += 1
        announce(AuditAction.CODE_SWEPT, booking_reference=reference, detail=f"Removed from {lock_name}.")
        log.info("Swept booking %s's code from %s", reference, lock_name)
    # A removal that failed, or whose worker died, is done once the sweep took the last code off.
    live_codes = select(LockCode.id).where(LockCode.check_in_id == CheckIn.id, LockCode.removed_at.is_(None))
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.removal_state.in_([RemovalState.PENDING, RemovalState.FAILED]), ~live_codes.exists())
        .values(removal_state=RemovalState.DONE, removal_error=None)
    )
    db.session.commit()
    return report


def _code_is_due(code: LockCode, check_in: CheckIn, now) -> bool:
    booking = check_in.booking
    if booking.cancelled_at is not None or now >= stay_window(booking)[1]:
        return True
    if code.lock_id not in {lock.id for lock in current_locks(booking)}:
        return True  # the booking moved to another room: its code has no business on this lock
    if check_in.pin_state in (PinState.REVOKED, PinState.FAILED):
        return True
    return check_in.pin_state == PinState.READY and code.job_id != check_in.pin_job_id
