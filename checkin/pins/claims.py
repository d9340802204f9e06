"""Who runs a check-in's PIN job: one conditional UPDATE claims the row, then the job is submitted.

A claim is the only way a job starts, so two browsers, two workers or the timer racing for the
same check-in start one job between them. Taking over a job whose process died is a claim too,
made explicitly by the runner's monitor, by Confirm, and by the `jobs resume` timer.
"""
import logging
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, select, update

from ..clock import property_today, utc_now
from ..extensions import db
from ..models import Booking, CheckIn, PinState
from .runner import pin_jobs, process_identity, process_is_dead

log = logging.getLogger(__name__)


def start_pin_generation(check_in: CheckIn) -> bool:
    """Claim the check-in for a new PIN job and submit it; False if one is pending or ready."""
    return _claim_and_submit(
        check_in.id, CheckIn.pin_state.in_([PinState.NOT_STARTED, PinState.FAILED, PinState.AWAITING_DAY]), "Started"
    )


def take_over_if_abandoned(check_in: CheckIn) -> bool:
    """Take over a pending job whose process died; safe to call from any worker, at any time."""
    if check_in.pin_state != PinState.PENDING or not _is_abandoned(check_in):
        return False
    return _claim_and_submit(
        check_in.id,
        (CheckIn.pin_state == PinState.PENDING) & (CheckIn.pin_job_id == check_in.pin_job_id),
        "Resumed an abandoned",
    )


def take_over_abandoned_jobs() -> int:
    """Take over every abandoned PIN job; returns how many were taken over."""
    pending = db.session.scalars(select(CheckIn).where(CheckIn.pin_state == PinState.PENDING)).all()
    taken = sum(take_over_if_abandoned(check_in) for check_in in pending)
    db.session.commit()
    return taken


def start_arrival_day_jobs() -> int:
    """Start the job again for every check-in that waits for its arrival day (a gateway was
    offline) once that day has come: the PIN if the gateway is back, else backup codes."""
    due = db.session.scalars(
        select(CheckIn.id)
        .join(Booking, CheckIn.booking_id == Booking.id)
        .where(CheckIn.pin_state == PinState.AWAITING_DAY, Booking.check_in_date <= property_today(),
               Booking.check_out_date >= property_today(), Booking.cancelled_at.is_(None))
    ).all()
    db.session.commit()
    return sum(_claim_and_submit(check_in_id, CheckIn.pin_state == PinState.AWAITING_DAY, "Started the arrival-day",
                                 keep_room_link=True)
               for check_in_id in due)


def resume_pin_jobs() -> int:
    """What the runner's monitor and the timer do: take over dead jobs, start arrival-day ones."""
    return take_over_abandoned_jobs() + start_arrival_day_jobs()


def _is_abandoned(check_in: CheckIn) -> bool:
    if check_in.pin_job_owner is None or process_is_dead(check_in.pin_job_owner):
        return True
    silence = timedelta(seconds=float(current_app.config["PIN_JOB_STALE_SECONDS"]))
    return check_in.pin_heartbeat_at is None or utc_now() - check_in.pin_heartbeat_at > silence


def _claim_and_submit(check_in_id: int, claimable, verb: str, keep_room_link: bool = False) -> bool:
    job_id = uuid.uuid4().hex
    now = utc_now()
    values = dict(
        pin_state=PinState.PENDING,
        pin_job_id=job_id,
        pin_job_owner=process_identity(),
        pin_heartbeat_at=now,
        pin_started_at=now,
        pin_finished_at=None,
        pin_error=None,
    )
    if keep_room_link:
        # The guest was told to keep the page their link opens: it shows this job's codes too.
        values["room_link_job_id"] = case(
            (CheckIn.room_link_job_id == CheckIn.pin_job_id, job_id), else_=CheckIn.room_link_job_id
        )
    claimed = db.session.execute(
        update(CheckIn).where(CheckIn.id == check_in_id, claimable).values(**values)
    ).rowcount
    db.session.commit()
    if claimed:
        log.info("%s PIN job for check-in %s", verb, check_in_id)
        # Commit first, then submit: the job reads the row in its own session.
        pin_jobs().submit(check_in_id, job_id)
    return bool(claimed)
