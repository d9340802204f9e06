"""The owner's insights: how guests get through check-in, counted from small anonymous events.

Each guest's step is one `funnel_events` row holding only the step, the time and a measure or two
(never a name, booking, check-in or client address), so the figures outlive the guest-data purge.
The page reads one period at a time through the (occurred_at, step) index: a few grouped queries,
however many years of rows the table holds.
"""
import csv
import enum
import io
import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from ..clock import property_today, property_zone
from ..extensions import db
from ..locks.names import lock_label
from ..models import CheckIn, FunnelEvent, Lock
from ..stays import stay_window


class Step(enum.StrEnum):
    FIND_BOOKING = "find_booking"
    DETAILS = "details"
    PARKING = "parking"
    REVIEW = "review"
    CONFIRM = "confirm"  # pressed Confirm; the event carries the wait
    ROOM = "room"
    ALMOST_READY = "almost_ready"
    CONTACT = "contact"
    PIN_FAILED = "pin_failed"  # not a guest's step: a PIN job gave up


# The guest's way through, in order, as the owner reads it.
FUNNEL = [
    (Step.FIND_BOOKING, "Find booking"),
    (Step.DETAILS, "Details"),
    (Step.PARKING, "Parking"),
    (Step.REVIEW, "Review"),
    (Step.CONFIRM, "Confirm pressed"),
    (Step.ROOM, "Room page"),
]


class Period(enum.StrEnum):
    TODAY = "today"
    WEEK = "7d"
    MONTH = "30d"


PERIOD_DAYS = {Period.TODAY: 1, Period.WEEK: 7, Period.MONTH: 30}
PERIOD_LABELS = {Period.TODAY: "Today", Period.WEEK: "Last 7 days", Period.MONTH: "Last 30 days"}
DEFAULT_PERIOD = Period.WEEK


@dataclass(frozen=True)
class FunnelRow:
    step: Step
    label: str
    reached: int
    stopped: int | None  # reached this step but not the next; None for the last step


@dataclass(frozen=True)
class PinFailureRow:
    lock_name: str | None  # None when the failure concerned no single lock
    reason: str
    count: int


@dataclass(frozen=True)
class Insights:
    period: Period
    first_day: date
    last_day: date
    funnel: list[FunnelRow]
    contact: int  # guests who needed the contact page
    almost_ready: int  # guests who saw "almost ready" after Confirm
    waits: int  # confirmations with a measured wait
    wait_median_ms: int | None
    wait_p95_ms: int | None
    before_arrival: int  # confirmations before the stay's check-in time
    pin_failures: list[PinFailureRow]

    @property
    def confirmed(self) -> int:
        return next(row.reached for row in self.funnel if row.step == Step.CONFIRM)

    @property
    def before_arrival_share(self) -> float | None:
        """Of the guests who confirmed, the share who did so before their check-in time."""
        return self.before_arrival / self.confirmed if self.confirmed else None

    @property
    def most_reached(self) -> int:
        return max((row.reached for row in self.funnel), default=0)


def record_step(step: Step, *, check_in: CheckIn | None = None, wait_ms: int | None = None) -> None:
    """Record one anonymous step; for Confirm, the wait and whether the stay had begun."""
    before_arrival = None
    if step == Step.CONFIRM and check_in is not None and check_in.confirmed_at is not None:
        before_arrival = check_in.confirmed_at < stay_window(check_in.booking)[0]
    db.session.add(FunnelEvent(step=step, wait_ms=wait_ms, before_arrival=before_arrival))
    db.session.commit()


def record_pin_failure(reason: str) -> None:
    """Record a PIN job that gave up: which lock it concerned, found by the name the reason gives
    it ("Room 2 door (2002) is offline ..."), and the reason with that name said as "the lock"."""
    lock_name = None
    for lock in db.session.scalars(select(Lock)):
        for label in (lock_label(lock.name, lock.ttlock_id), lock_label(None, lock.ttlock_id)):
            if label in reason:
                lock_name = lock.name
                reason = reason.replace(label, "the lock")
                break
        if lock_name is not None:
            break
    reason = reason[:1].upper() + reason[1:]
    db.session.add(FunnelEvent(step=Step.PIN_FAILED, lock_name=lock_name, reason=reason[:200]))
    db.session.commit()


def parse_period(value: str | None) -> Period:
    """The period a query string asks for; the default for anything else."""
    try:
        return Period(value)
    except ValueError:
        return DEFAULT_PERIOD


def period_days(period: Period, today: date) -> tuple[date, date]:
    """The period's first and last day at the property: today and the days before it."""
    return today - timedelta(days=PERIOD_DAYS[period] - 1), today


def insights_for(period: Period) -> Insights:
    """Every figure of the insights page for a period ending today (property time)."""
    first_day, last_day = period_days(period, property_today())
    zone = property_zone()
    since = datetime.combine(first_day, time(0), tzinfo=zone)
    until = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
    in_period = (FunnelEvent.occurred_at >= since, FunnelEvent.occurred_at < until)

    counts = dict(
        db.session.execute(
            select(FunnelEvent.step, func.count()).where(*in_period).group_by(FunnelEvent.step)
        ).all()
    )
    confirmations = db.session.execute(
        select(FunnelEvent.wait_ms, FunnelEvent.before_arrival).where(*in_period, FunnelEvent.step == Step.CONFIRM)
    ).all()
    failures = db.session.execute(
        select(FunnelEvent.lock_name, FunnelEvent.reason, func.count().label("failures"))
        .where(*in_period, FunnelEvent.step == Step.PIN_FAILED)
        .group_by(FunnelEvent.lock_name, FunnelEvent.reason)
        .order_by(func.count().desc(), FunnelEvent.lock_name, FunnelEvent.reason)
    ).all()
    db.session.commit()  # end the read

    waits = sorted(wait for wait, _ in confirmations if wait is not None)
    return Insights(
        period=period,
        first_day=first_day,
        last_day=last_day,
        funnel=_funnel_rows(counts),
        contact=counts.get(Step.CONTACT, 0),
        almost_ready=counts.get(Step.ALMOST_READY, 0),
        waits=len(waits),
        wait_median_ms=round(statistics.median(waits)) if waits else None,
        wait_p95_ms=_percentile(waits, 95),
        before_arrival=sum(1 for _, early in confirmations if early),
        pin_failures=[PinFailureRow(lock_name, reason or "", count) for lock_name, reason, count in failures],
    )


def insights_csv(insights: Insights) -> str:
    """The page's figures as CSV: one row per figure, plain numbers (milliseconds, not seconds)."""
    out = io.StringIO()
    out.write("\ufeff")  # a byte-order mark: spreadsheets then read lock names as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "item", "value"])
    writer.writerow(["period", "first day", insights.first_day.isoformat()])
    writer.writerow(["period", "last day", insights.last_day.isoformat()])
    for row in insights.funnel:
        writer.writerow(["reached", row.label, row.reached])
        if row.stopped is not None:
            writer.writerow(["stopped at", row.label, row.stopped])
    writer.writerow(["needed help", "Contact page", insights.contact])
    writer.writerow(["confirm wait", "confirmations measured", insights.waits])
    writer.writerow(["confirm wait", "median ms", _blank_if_none(insights.wait_median_ms)])
    writer.writerow(["confirm wait", "95th percentile ms", _blank_if_none(insights.wait_p95_ms)])
    writer.writerow(["confirm wait", "saw almost ready", insights.almost_ready])
    writer.writerow(["checked in before arriving", "guests", insights.before_arrival])
    share = insights.before_arrival_share
    writer.writerow(["checked in before arriving", "share %", "" if share is None else round(share * 100, 1)])
    for failure in insights.pin_failures:
        item = f"{failure.lock_name or 'No single lock'}: {failure.reason}"
        writer.writerow(["PIN failures", _csv_safe(item), failure.count])
    return out.getvalue()


def _funnel_rows(counts: dict[str, int]) -> list[FunnelRow]:
    reached = [counts.get(step, 0) for step, _ in FUNNEL]
    rows = []
    for index, (step, label) in enumerate(FUNNEL):
        last = index == len(FUNNEL) - 1
        # Guests who started before the period began can make a later step outnumber this one.
        stopped = None if last else max(reached[index] - reached[index + 1], 0)
        rows.append(FunnelRow(step, label, reached[index], stopped))
    return rows


def _percentile(ordered: list[int], percent: int) -> int | None:
    """The nearest-rank percentile: the smallest wait that `percent`% of the waits do not exceed."""
    if not ordered:
        return None
    return ordered[max(math.ceil(percent / 100 * len(ordered)) - 1, 0)]


def _blank_if_none(value):
    return "" if value is None else value


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (lock names and lock-cloud text are not ours)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
