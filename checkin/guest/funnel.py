"""Counting each guest's steps once, for the owner's insights (checkin.services.insights).

What was counted is remembered in this browser's session, never in the database: the events stay
anonymous. A second guest checking in on the same phone finds another booking, and from then on
their steps count afresh.
"""
from functools import wraps

from flask import session

from ..models import CheckIn
from ..services import insights
from ..services.insights import Step
from .blueprint import SESSION_KEY

COUNTED_KEY = "funnel_counted"  # the steps counted in this browser
COUNTED_FOR_KEY = "funnel_counted_for"  # the check-in they were counted for (None before page 1)


def count_step(step: Step, check_in: CheckIn | None = None, wait_ms: int | None = None) -> None:
    """Count the guest's step, once. With `check_in`, only if it is this browser's check-in (a room
    link opened on another device later is no step of the flow); Confirm reads the stay from it."""
    current = session.get(SESSION_KEY)
    if current is None and step != Step.FIND_BOOKING:
        return  # every later step belongs to a guest who found their booking
    if check_in is not None and check_in.public_id != current:
        return
    counted = session.get(COUNTED_KEY, [])
    counted_for = session.get(COUNTED_FOR_KEY)
    if current is not None and counted_for != current:
        if counted_for is not None:
            # Another guest on this browser, who found their booking on page 1 to get here.
            counted = []
            if step != Step.FIND_BOOKING:
                insights.record_step(Step.FIND_BOOKING)
                counted = [Step.FIND_BOOKING.value]
        session[COUNTED_FOR_KEY] = current
    if step.value not in counted:
        insights.record_step(step, check_in=check_in, wait_ms=wait_ms)
        counted = [*counted, step.value]
    if counted != session.get(COUNTED_KEY, []):
        session[COUNTED_KEY] = counted


def counts_as(step: Step):
    """Count the step when the view shows its page (a redirect elsewhere is not this step)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            response = view(*args, **kwargs)
            if isinstance(response, str):
                count_step(step)
            return response

        return wrapped

    return decorate
