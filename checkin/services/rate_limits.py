"""Attempt counters in the database, so every gunicorn worker sees the same limits.

A limit allows so many attempts per fixed window (a clock minute, hour or day, in UTC). Taking
an attempt is one atomic step in the database: insert the window's counter row if it is missing,
then `UPDATE ... SET count = count + 1 WHERE ... AND count < allowed`, whose row count says
whether the attempt may go ahead. Thirty requests at once from one client against a limit of ten
get exactly ten yeses, in any number of workers, on SQLite (writers take turns) and on PostgreSQL
(the second UPDATE of a row waits for the first and checks the condition again). Never read a
count and then write it: requests in between would all see the old count.

What is counted (a booking reference, an e-mail address) is stored only as a hash with its
scope; the client in clear, for the owner's alert. Rows go once their window has ended.
"""
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..clock import utc_now
from ..extensions import db
from ..models import RateLimitCounter

# Insert-or-ignore is spelled differently by each database: pick the construct by dialect name.
INSERT_BY_DIALECT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Limit:
    """At most `allowed` attempts per window of `window_seconds`, per key (and client)."""

    scope: str
    allowed: int
    window_seconds: int


@dataclass(frozen=True)
class Attempt:
    """One attempt to count: against this limit, for this subject (what is tried), from this client.

    subject "" counts every attempt of the client alike; client "" counts every client alike.
    """

    limit: Limit
    subject: str = ""
    client: str = ""


@dataclass(frozen=True)
class Counted:
    """Attempts take() counted; give_back() un-counts them."""

    rows: tuple[tuple[str, str, datetime], ...]


@dataclass(frozen=True)
class Refused:
    """The limit that was full, and the seconds until its window ends (for Retry-After)."""

    limit: Limit
    retry_after: int


def take(attempts: Sequence[Attempt]) -> Counted | Refused:
    """Count one attempt against every limit given, or against none if any of them is full; commit."""
    outcome = count_uncommitted(attempts)
    if isinstance(outcome, Counted):
        db.session.commit()
    return outcome


def count_uncommitted(attempts: Sequence[Attempt]) -> Counted | Refused:
    """take(), with the transaction left open: commit to keep the count, roll back to undo it.

    Other requests at the same counters wait until then (on SQLite, every writer does): only
    for a quick decision, like whether a surname matches, never for a slow one.
    """
    now = utc_now()
    rows = []
    for attempt in attempts:
        key_hash, window_end = _key_hash(attempt.limit.scope, attempt.subject), _window_end(attempt.limit, now)
        _ensure_row(key_hash, attempt.client, window_end, now)
        counted = db.session.execute(
            _this_row(update(RateLimitCounter), key_hash, attempt.client, window_end)
            .where(RateLimitCounter.count < attempt.limit.allowed)
            .values(count=RateLimitCounter.count + 1)
        ).rowcount
        if counted != 1:
            db.session.rollback()  # the limits counted before this one are un-counted too
            return Refused(attempt.limit, max(1, math.ceil((window_end - now).total_seconds())))
        rows.append((key_hash, attempt.client, window_end))
    return Counted(tuple(rows))


def give_back(counted: Counted) -> None:
    """Un-count attempts that turned out not to count (a right password)."""
    for key_hash, client, window_end in counted.rows:
        db.session.execute(
            _this_row(update(RateLimitCounter), key_hash, client, window_end)
            .where(RateLimitCounter.count > 0)
            .values(count=RateLimitCounter.count - 1)
        )
    db.session.commit()


def counts_by_client(limit: Limit, subject: str) -> list[tuple[str, int]]:
    """(client, attempts) in the limit's current window for this subject, most attempts first."""
    rows = db.session.execute(
        select(RateLimitCounter.client, RateLimitCounter.count)
        .where(
            RateLimitCounter.key_hash == _key_hash(limit.scope, subject),
            RateLimitCounter.window_end == _window_end(limit, utc_now()),
            RateLimitCounter.count > 0,
        )
        .order_by(RateLimitCounter.count.desc(), RateLimitCounter.client)
    )
    return [(client, count) for client, count in rows]


def forget(limit: Limit, subject: str, client: str | None = None) -> None:
    """Clear the subject's counts under this limit: from one client, or with None from every client."""
    statement = delete(RateLimitCounter).where(RateLimitCounter.key_hash == _key_hash(limit.scope, subject))
    if client is not None:
        statement = statement.where(RateLimitCounter.client == client)
    db.session.execute(statement)
    db.session.commit()


def _ensure_row(key_hash: str, client: str, window_end: datetime, now: datetime) -> None:
    """The window's counter row, inserted at 0 unless another request got there first."""
    insert = INSERT_BY_DIALECT[db.session.get_bind().dialect.name]
    statement = (
        insert(RateLimitCounter)
        .values(key_hash=key_hash, client=client, window_end=window_end, count=0)
        .on_conflict_do_nothing(index_elements=["key_hash", "client", "window_end"])
    )
    if db.session.execute(statement).rowcount:
        # A new window began for this key: a good moment to drop the rows of ended ones.
        db.session.execute(delete(RateLimitCounter).where(RateLimitCounter.window_end <= now))


def _this_row(statement, key_hash: str, client: str, window_end: datetime):
    return statement.where(
        RateLimitCounter.key_hash == key_hash,
        RateLimitCounter.client == client,
        RateLimitCounter.window_end == window_end,
    )


def _window_end(limit: Limit, now: datetime) -> datetime:
    """The end of the fixed window `now` falls in: windows start at whole multiples since the epoch."""
    elapsed = int((now - EPOCH).total_seconds())
    return EPOCH + timedelta(seconds=(elapsed // limit.window_seconds + 1) * limit.window_seconds)


def _key_hash(scope: str, subject: str) -> str:
    return hashlib.sha256(f"{scope}\0{subject}".encode()).hexdigest()
