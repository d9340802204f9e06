"""The background PIN job: plan once, place the PIN on every lock, finish ready or failed.

Started in the background the moment the guest gives their details (see claims.py). It never
raises: every outcome is written to the check-in row, and announced for the audit trail and, on
failure, the owner.
"""
import logging
import time

from flask import Flask, current_app
from sqlalchemy import update

from ..clock import utc_now
from ..extensions import db
from ..locks import LockCloudError, LockUnreachable
from ..models import AuditAction, CheckIn, PinState
from .backup import fall_back_to_backup_codes
from .events import announce, pin_failed
from .moves import booking_moved_since, move_codes
from .placement import place_pin_on_every_lock, remove_unrecorded_codes
from .plan import (
    BookingNoLongerValid,
    JobSuperseded,
    PinJobPlan,
    plan_job,
    update_owned_row,
)
from .removal import remove_lock_codes

log = logging.getLogger(__name__)


def run_pin_job(app: Flask, check_in_id: int, job_id: str) -> None:
    """The background job: never raises, always leaves the row ready or failed (or not ours)."""
    with app.app_context():
        try:
            _generate_pin(check_in_id, job_id)
        except BookingNoLongerValid as stopped:
            # Whatever the job placed comes off, then the row says why (and the owner hears it).
            _clean_up_superseded(check_in_id, job_id)
            _finish_failed(check_in_id, job_id, stopped.reason)
        except JobSuperseded:
            _clean_up_superseded(check_in_id, job_id)
        except Exception:
            log.exception("PIN job for check-in %s crashed", check_in_id)
            db.session.rollback()
            _finish_failed(check_in_id, job_id, "Internal error while making the PIN; see the server log.")


def _generate_pin(check_in_id: int, job_id: str) -> None:
    plan = plan_job(check_in_id, job_id)
    tried: set[str] = set()
    try:
        _make_pin(plan, tried)
    except JobSuperseded as stopped:
        _clean_up_superseded(check_in_id, job_id)  # the recorded codes first: they are the likely ones
        remove_unrecorded_codes(plan, tried)
        if isinstance(stopped, BookingNoLongerValid):
            raise  # the row still says why (run_pin_job)


def _make_pin(plan: PinJobPlan, tried: set[str]) -> None:
    failure = LockCloudError("No lock is configured for this room or the front door.")
    for attempt in range(1, int(current_app.config["PIN_ATTEMPTS"]) + 1):
        _count_attempt(plan)
        if attempt > 1:
            time.sleep(float(current_app.config["PIN_RETRY_DELAY_SECONDS"]))
        try:
            pin = place_pin_on_every_lock(plan, tried)
        except LockCloudError as error:
            failure = error
            log.warning("PIN attempt %s for booking %s failed: %s", attempt, plan.booking_reference, error.reason)
            if not error.retryable:
                break
            continue
        _finish_ready(plan, pin)
        if len(tried) > 1:  # an earlier PIN's add may have landed after we looked for it
            remove_unrecorded_codes(plan, tried)
        if booking_moved_since(plan):  # the owner moved the booking while its PIN was being placed
            move_codes(plan.check_in_id)
        return
    reason = failure.reason
    if isinstance(failure, LockUnreachable):
        # The cloud answers but a gateway does not: codes the locks check by themselves still work.
        try:
            fall_back_to_backup_codes(plan, tried, reason)
            remove_unrecorded_codes(plan, tried)
            return
        except LockCloudError as error:
            reason = f"{reason} No backup code could be had either: {error.reason}"
    remove_unrecorded_codes(plan, tried)
    _finish_failed(plan.check_in_id, plan.job_id, reason)


def _count_attempt(plan: PinJobPlan) -> None:
    update_owned_row(plan, pin_attempts=CheckIn.pin_attempts + 1)


def _clean_up_superseded(check_in_id: int, job_id: str) -> None:
    log.info("PIN job for check-in %s was superseded; removing its codes", check_in_id)
    try:
        remove_lock_codes(check_in_id, job_id=job_id)
    except LockCloudError as error:
        log.warning("Superseded job's codes for check-in %s stay for the sweep: %s", check_in_id, error.reason)


def _finish_ready(plan: PinJobPlan, pin: str) -> None:
    update_owned_row(plan, pin_state=PinState.READY, pin=pin, pin_finished_at=utc_now(), pin_error=None)
    log.info("PIN ready for booking %s", plan.booking_reference)
    announce(AuditAction.PIN_READY, booking_reference=plan.booking_reference)


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
        announce(AuditAction.PIN_FAILED, booking_reference=reference, detail=reason)
        pin_failed.send(AuditAction.PIN_FAILED, booking_reference=reference, reason=reason, job_id=job_id)
