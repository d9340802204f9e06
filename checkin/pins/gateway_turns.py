"""One command at a time per gateway across every host, through PostgreSQL advisory locks.

On SQLite the app runs on one host and the gateway queue is a folder of ticket files
(checkin.locks.gateway_queue). On PostgreSQL several hosts may serve guests, so a turn at the
gateway is a session-level advisory lock on its own connection: PostgreSQL grants waiting
lockers in the order they asked, holds the lock only for the block, and drops it when the
holder's connection ends, so a worker that dies never leaves a gateway stuck.
"""
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from ..locks import LockBusy
from ..locks.gateway_queue import gateway_busy

_held = threading.local()


def advisory_key(name: str) -> int:
    """A signed 64-bit key for pg_advisory_lock, the same on every host for the same name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PostgresGateway:
    """One gateway (or a lock account's own queue), shared by every worker on every host of one
    database; `account` names it (see pins/cloud.gateway_for)."""

    def __init__(self, engine: Engine, account: str, max_wait_seconds: float = 600.0):
        self._engine = engine
        self._account = account
        self._max_wait_ms = int(max_wait_seconds * 1000)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Re-entrant in one thread: a PIN job holds one turn for all its commands."""
        key = advisory_key(f"gateway-turn:{self._account}")
        held = _held.__dict__.setdefault("keys", set())
        if key in held:
            yield
            return
        with self._locked(key, wait=True):
            held.add(key)
            try:
                yield
            finally:
                held.discard(key)

    def exclusive(self, name: str):
        return self._locked(advisory_key(f"{name}:{self._account}"), wait=True)

    def occupy(self):
        return self._locked(advisory_key(f"gateway-in-use:{self._account}"), wait=False)

    @contextmanager
    def _locked(self, key: int, wait: bool) -> Iterator[None]:
        # Autocommit: the lock belongs to the session, not to a transaction that would pin a snapshot.
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if wait:
                connection.execute(text(f"SET lock_timeout = {self._max_wait_ms}"))
                try:
                    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                except OperationalError:
                    raise LockBusy(
                        f"Waited {self._max_wait_ms / 1000:.0f} seconds for earlier lock commands to finish; "
                        "the gateway queue is stuck or very long."
                    ) from None
            elif not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}):
                raise gateway_busy()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.execute(text("RESET lock_timeout"))
