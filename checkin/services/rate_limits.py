"""Attempt counters in the database, so every gunicorn worker sees the same limits.

Keys (booking references, client IPs, e-mail addresses) are stored only as hashes.
"""
import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from ..clock import utc_now
from ..extensions import db
from ..models import RateLimitEvent

# Events older than this are of no use to any limit: they are deleted as new ones arrive.
KEEP_EVENTS_FOR = timedelta(days=1)


def _key_hash(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()


def record_attempt(scope: str, key: str) -> None:
    """Count one attempt for this key."""
    now = utc_now()
    db.session.add(RateLimitEvent(key_hash=_key_hash(scope, key), at=now))
    db.session.execute(delete(RateLimitEvent).where(RateLimitEvent.at < now - KEEP_EVENTS_FOR))
    db.session.commit()


def recent_attempts(scope: str, key: str, window_seconds: int) -> int:
    """How many attempts this key made in the last window_seconds."""
    return attempts_since(scope, key, utc_now() - timedelta(seconds=window_seconds))


def attempts_since(scope: str, key: str, since: datetime) -> int:
    """How many attempts this key made from `since` on."""
    return db.session.scalar(
        select(func.count()).where(RateLimitEvent.key_hash == _key_hash(scope, key), RateLimitEvent.at >= since)
    )


def last_attempt_at(scope: str, key: str) -> datetime | None:
    """When this key last made an attempt (within the kept day), if it did."""
    return db.session.scalar(select(func.max(RateLimitEvent.at)).where(RateLimitEvent.key_hash == _key_hash(scope, key)))


def forget_attempts(scope: str, key: str) -> None:
    """Clear the key's count, e.g. after a successful login."""
    db.session.execute(delete(RateLimitEvent).where(RateLimitEvent.key_hash == _key_hash(scope, key)))
    db.session.commit()
