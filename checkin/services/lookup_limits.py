"""Anti-automation for "find your booking": a per-reference lockout and per-IP limits.

A booking reference is printed on receipts, so guessing surnames for it must be slow. The
lockout counts misses per reference whether or not a booking has it, so a lockout reveals
nothing about which bookings exist.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from ..clock import utc_now
from .bookings import normalize_reference
from .rate_limits import (
    attempts_since,
    last_attempt_at,
    recent_attempts,
    record_attempt,
)

MISSES = "lookup-miss-by-reference"
TRIES_FROM_IP = "lookup-by-ip"
DAY = 24 * 60 * 60


@dataclass(frozen=True)
class LookupBlocked:
    """Why a lookup was refused, and for how many seconds (for Retry-After)."""

    reason: str  # "reference" or "ip"
    retry_after: int


def lookup_blocked(reference: str, client_ip: str) -> LookupBlocked | None:
    """Whether this lookup must be refused before the booking is even looked at."""
    config = current_app.config
    for limit, window in ((config["LOOKUP_LIMIT_PER_IP_MINUTE"], 60), (config["LOOKUP_LIMIT_PER_IP_HOUR"], 3600)):
        if recent_attempts(TRIES_FROM_IP, client_ip, window) >= limit:
            return LookupBlocked("ip", window)
    remaining = _reference_lockout_remaining(normalize_reference(reference))
    return LookupBlocked("reference", remaining) if remaining else None


def record_lookup(reference: str, client_ip: str, found: bool) -> None:
    """Count a lookup against the IP, and a miss against the reference."""
    record_attempt(TRIES_FROM_IP, client_ip)
    if not found:
        record_attempt(MISSES, normalize_reference(reference))


def _reference_lockout_remaining(reference: str) -> int:
    """Seconds left of the reference's lockout, which starts when `allowed` misses come within the
    window and doubles with each further such run in a day (up to a day)."""
    config = current_app.config
    allowed = int(config["LOOKUP_MISSES_PER_REFERENCE"])
    window = timedelta(seconds=int(config["LOOKUP_MISS_WINDOW_SECONDS"]))
    last_miss = last_attempt_at(MISSES, reference)
    if last_miss is None or attempts_since(MISSES, reference, last_miss - window) < allowed:
        return 0
    runs = recent_attempts(MISSES, reference, DAY) // allowed
    lockout = min(timedelta(seconds=DAY), window * 2 ** (runs - 1))
    return max(0, int((last_miss + lockout - utc_now()).total_seconds()))
