"""Backup codes: when a gateway is offline, a code each such lock checks by itself.

TTLock computes these codes in its cloud from keys the lock already holds, so no gateway is
needed; but they are 6-9 digits, whole hours, different per lock, suspended unless first typed
within 24 hours of their start, and cannot be deleted before that first use. So they are issued
on the arrival day only (earlier, the row waits and the runner's monitor or the timer comes back
on the day), a code the guest has seen is kept for the stay, and they end by their own dates.
"""
import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from ..clock import property_zone, utc_now
from ..extensions import db
from ..locks import LockCloudError
from ..models import AuditAction, BackupCode, PinState
from .cloud import lock_cloud
from .events import announce, gateway_offline
from .placement import place_pin_where_reachable
from .plan import LockTarget, PinJobPlan, update_owned_row
from .removal import remove_lock_codes

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
# TTLock suspends a backup code not typed within this long after its start.
BACKUP_CODE_FIRST_USE = timedelta(hours=24)


def backup_codes_due(plan: PinJobPlan, now: datetime | None = None) -> bool:
    """True from the arrival day on (property time): a code issued earlier could lapse unused."""
    zone = property_zone()
    return (now or utc_now()).astimezone(zone).date() >= plan.valid_from.astimezone(zone).date()


def backup_window(plan: PinJobPlan, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Whole hours covering the rest of the stay: from the hour it starts (or this hour, for a guest
    checking in later, so the 24-hour first-use rule runs from now) to the hour after it ends."""
    start = _hour_floor(max(plan.valid_from, now or utc_now()))
    end = _hour_floor(plan.valid_until)
    return start, (end if end == plan.valid_until else end + HOUR)


def fall_back_to_backup_codes(plan: PinJobPlan, tried: set[str], reason: str) -> None:
    """Finish a job whose PIN could not reach a gateway: the PIN on every lock that answers, a
    backup code on each other one; or, before the arrival day, wait for it. Raises LockCloudError
    if the backup codes cannot be had either (the caller fails the job)."""
    if not backup_codes_due(plan):
        update_owned_row(plan, pin_state=PinState.AWAITING_DAY, pin=None, pin_finished_at=utc_now(), pin_error=reason)
        log.info("Gateway offline for booking %s: backup codes wait for the arrival day", plan.booking_reference)
        gateway_offline.send(
            AuditAction.PIN_FAILED, booking_reference=plan.booking_reference, doors=[], reason=reason,
            job_id=plan.job_id, waiting=True,
        )
        return
    held = _backup_codes_held(plan.check_in_id)
    # A code the guest has seen stays theirs: that door gets no new PIN and no new code.
    kept = tuple(lock for lock in plan.locks if lock.id in held and held[lock.id].shown_at is not None)
    pin, offline = place_pin_where_reachable(plan, tried, tuple(lock for lock in plan.locks if lock not in kept))
    start, end = backup_window(plan)
    try:
        for lock in offline:
            _issue_backup_code(plan, lock, held.get(lock.id), start, end)
    except LockCloudError:
        remove_lock_codes(plan.check_in_id)  # all or nothing: no PIN on half the doors
        raise
    doors = [lock.name for lock in plan.locks if lock in kept or lock in offline]
    if not doors:  # the gateway came back: an ordinary PIN on every door
        update_owned_row(plan, pin_state=PinState.READY, pin=pin, pin_finished_at=utc_now(), pin_error=None)
        announce(AuditAction.PIN_READY, booking_reference=plan.booking_reference)
        return
    update_owned_row(plan, pin_state=PinState.READY, pin=pin, pin_finished_at=utc_now(), pin_error=reason)
    log.info("Booking %s has backup codes for %s", plan.booking_reference, ", ".join(doors))
    announce(AuditAction.BACKUP_CODES_GIVEN, booking_reference=plan.booking_reference,
             detail=f"For {', '.join(doors)}. {reason}")
    gateway_offline.send(
        AuditAction.BACKUP_CODES_GIVEN, booking_reference=plan.booking_reference, doors=doors, reason=reason,
        job_id=plan.job_id, waiting=False,
    )


def _issue_backup_code(
    plan: PinJobPlan, lock: LockTarget, held: BackupCode | None, start: datetime, end: datetime
) -> None:
    if held is not None and held.valid_from <= start and held.valid_until == end:
        return  # issued by an earlier run for these dates: the same code serves
    issued = lock_cloud().get_backup_code(lock.ttlock_id, plan.passcode_name, start, end)
    # One row per door: a code never shown and now replaced stays on the lock until its end.
    row = db.session.get(BackupCode, held.id) if held is not None else None
    if row is None:
        row = BackupCode(check_in_id=plan.check_in_id, lock_id=lock.id)
        db.session.add(row)
    row.passcode_id, row.code, row.valid_from, row.valid_until = issued.passcode_id, issued.code, start, end
    db.session.commit()


def _backup_codes_held(check_in_id: int) -> dict[int, BackupCode]:
    rows = db.session.scalars(select(BackupCode).where(BackupCode.check_in_id == check_in_id)).all()
    db.session.commit()
    return {row.lock_id: row for row in rows}


def _hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
