"""Anti-automation for "find your booking": only the client that misses is slowed, then refused.

A booking reference is printed on receipts, so guessing surnames for it must be slow; but a
stranger's misses must never keep the real guest out. So every limit is per client (an IPv4
address or an IPv6 /64): misses from one client a minute and an hour, and misses from one client
on one reference a day. A guest with the right reference and surname, from a client that has not
missed, always gets through. When one booking draws many misses from several clients, the owner
is alerted once a day with the clients' addresses, and can clear the counters.

Each lookup is counted before the booking is read (one atomic step, see rate_limits), and the
count is committed only if the surname was wrong: only misses are counted, and a right surname
writes nothing. Misses count
alike whether or not a booking has the reference, so a refusal tells nothing about which exist.
"""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..clock import utc_now
from ..extensions import db
from ..models import AuditAction, Booking
from .alerts import alert_owner
from .audit import record_event
from .bookings import find_booking, normalize_reference
from .rate_limits import (
    Attempt,
    Limit,
    Refused,
    count_uncommitted,
    counts_by_client,
    forget,
)

DAY = 24 * 60 * 60
MISSES_ON_REFERENCE = "lookup-misses-on-reference"


@dataclass(frozen=True)
class LookupBlocked:
    """Why a lookup was refused, and for how many seconds (for Retry-After)."""

    reason: str  # "reference": this client, this reference; "ip": this client, any reference
    retry_after: int


@dataclass(frozen=True)
class Lookup:
    """What a lookup found: the booking, nothing (a miss), or a refusal before looking."""

    booking: Booking | None = None
    blocked: LookupBlocked | None = None


@dataclass(frozen=True)
class MissReport:
    """Today's misses on one reference, by client: for the owner's booking page."""

    total: int
    by_client: list[tuple[str, int]]


def look_up_booking(reference: str, surname: str, client: str) -> Lookup:
    """Find the booking if this client may still try; a miss stays counted against the client."""
    reference = normalize_reference(reference)
    config = current_app.config
    # Longest first: a client refused by several limits is told the one that lasts.
    counted = count_uncommitted([
        Attempt(_misses_on_reference(), reference, client),
        Attempt(Limit("lookup-misses-per-client-hour", int(config["LOOKUP_LIMIT_PER_IP_HOUR"]), 3600), "", client),
        Attempt(Limit("lookup-misses-per-client-minute", int(config["LOOKUP_LIMIT_PER_IP_MINUTE"]), 60), "", client),
    ])
    if isinstance(counted, Refused):
        reason = "reference" if counted.limit.scope == MISSES_ON_REFERENCE else "ip"
        return Lookup(blocked=LookupBlocked(reason, counted.retry_after))
    booking = find_booking(reference, surname)
    if booking is not None:
        db.session.rollback()  # a right surname is not counted: nothing is written at all
        return Lookup(booking=booking)
    db.session.commit()
    _alert_on_many_misses(reference)
    return Lookup()


def misses_today(reference: str) -> MissReport:
    """How many misses the reference drew today, and from which clients."""
    by_client = counts_by_client(_misses_on_reference(), normalize_reference(reference))
    return MissReport(sum(count for _, count in by_client), by_client)


def forget_misses(reference: str) -> None:
    """Every client may try this reference again."""
    forget(_misses_on_reference(), normalize_reference(reference))


def clear_misses(reference: str) -> MissReport:
    """The owner's reset: every client may try this reference again. Audited; returns what was cleared."""
    cleared = misses_today(reference)
    forget_misses(reference)
    record_event(AuditAction.LOOKUP_TRIES_CLEARED, reference,
                 f"{cleared.total} wrong surname(s) from {len(cleared.by_client)} connection(s)")
    return cleared


def _misses_on_reference() -> Limit:
    return Limit(MISSES_ON_REFERENCE, int(current_app.config["LOOKUP_MISSES_PER_REFERENCE"]), DAY)


def _alert_on_many_misses(reference: str) -> None:
    """Once a day per booking, when its misses reach the threshold from more than one client."""
    report = misses_today(reference)
    if report.total < int(current_app.config["LOOKUP_MISSES_ALERT"]) or len(report.by_client) < 2:
        return
    if db.session.scalar(select(Booking.id).where(Booking.reference == reference)) is None:
        return  # no booking to protect: a bot trying references is slowed by the limits alone
    clients = ", ".join(f"{client} ({count})" for client, count in report.by_client)
    alert_owner(
        "Many wrong surnames tried",
        reference,
        f"{report.total} tries with a wrong surname today from {len(report.by_client)} connections: {clients}. "
        "Each connection is slowed and then refused on its own; your guest can still check in from theirs. "
        "If the guest says they are refused, clear the tries on the booking's page.",
        dedupe_key=f"lookup-misses:{reference}:{utc_now().date().isoformat()}",
    )
