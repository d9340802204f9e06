"""When a stay starts and ends, and whether a guest may check in for it now."""
import enum
from datetime import date, datetime, timedelta

from flask import current_app

from .clock import at_property_time, property_today, utc_now
from .models import Booking


class StayProblem(enum.StrEnum):
    CANCELLED = "cancelled"
    ENDED = "ended"
    TOO_EARLY = "too_early"
    # The owner must act first: the booking has no room yet, or vanished from its calendar.
    NOT_READY = "not_ready"


def stay_window(booking: Booking) -> tuple[datetime, datetime]:
    """Check-in time on arrival day to check-out time on departure day, in the property's zone."""
    config = current_app.config
    return (
        at_property_time(booking.check_in_date, config["CHECK_IN_TIME"]),
        at_property_time(booking.check_out_date, config["CHECK_OUT_TIME"]),
    )


def check_in_opens_on(booking: Booking) -> date:
    """The first day (property time) on which the guest may check in online."""
    return booking.check_in_date - timedelta(days=int(current_app.config["EARLY_CHECK_IN_DAYS"]))


def stay_problem(booking: Booking) -> StayProblem | None:
    """Why this booking cannot be checked in right now, if it cannot."""
    if booking.cancelled_at is not None:
        return StayProblem.CANCELLED
    if booking.room_id is None or booking.missing_from_calendar_at is not None:
        return StayProblem.NOT_READY
    if utc_now() >= stay_window(booking)[1]:
        return StayProblem.ENDED
    if property_today() < check_in_opens_on(booking):
        return StayProblem.TOO_EARLY
    return None
