"""The app's lock cloud client, built once per app from LOCK_BACKEND, with what it needs passed in.

Lock clients never touch the database: the token store, the simulated locks' memory and lock
names come from here, each in its own short session, so no transaction spans a lock call.
"""
import hashlib
import os
import threading
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..clock import property_zone, utc_now
from ..extensions import db
from ..locks import DuplicatePasscode, LockCloud, LockConfigurationError, PasscodeNotFound, PasscodeOnLock
from ..locks.gateway_queue import Gateway, GatewayQueue
from ..locks.names import lock_label
from ..locks.simulated import SimulatedLockCloud
from ..locks.ttlock import DEFAULT_BUSY_BACKOFF, StoredToken, TTLockCloud
from ..models import Lock, SimulatedPasscode, TTLockToken
from .gateway_turns import PostgresGateway

_building = threading.Lock()


def lock_cloud() -> LockCloud:
    """The current app's lock cloud client, built once per app (PIN jobs ask for it at once)."""
    extensions = current_app.extensions
    if "lock_cloud" not in extensions:
        with _building:
            if "lock_cloud" not in extensions:
                extensions["lock_cloud"] = build_lock_cloud(current_app.config)
    return extensions["lock_cloud"]


def build_lock_cloud(config) -> LockCloud:
    """A new client for the configured backend."""
    backend = config["LOCK_BACKEND"]
    if backend == "simulated":
        return simulated_lock_cloud(
            config,
            latency_seconds=float(config["SIMULATED_LOCK_LATENCY"]),
            failure_rate=float(config["SIMULATED_LOCK_FAILURE_RATE"]),
            offline_lock_ids={int(i) for i in config["SIMULATED_LOCK_OFFLINE"]},
        )
    if backend == "ttlock":
        return _ttlock_cloud(config)
    raise LockConfigurationError(f"LOCK_BACKEND must be 'simulated' or 'ttlock', not {backend!r}")


def simulated_lock_cloud(config, **behaviour) -> SimulatedLockCloud:
    """The simulated cloud on this app's database and gateway queue."""
    return SimulatedLockCloud(
        DatabaseSimulatedLocks(),
        gateway_for(config, "simulated"),
        property_zone(),
        gateway_of=gateway_of,
        gateway_queue=gateways_of(config, "simulated"),
        **behaviour,
    )


def _ttlock_cloud(config) -> TTLockCloud:
    # The settings were checked at start-up (checkin/config.py): credentials present, timeouts sane.
    account = f"ttlock:{config['TTLOCK_USERNAME']}"
    return TTLockCloud(
        base_url=config["TTLOCK_BASE_URL"],
        client_id=config["TTLOCK_CLIENT_ID"],
        client_secret=config["TTLOCK_CLIENT_SECRET"],
        username=config["TTLOCK_USERNAME"],
        password=config["TTLOCK_PASSWORD"],
        queue=gateway_for(config, account),
        token_store=DatabaseTokenStore(),
        lock_name=lock_name,
        gateway_of=gateway_of,
        gateway_queue=gateways_of(config, account),
        connect_timeout=float(config["TTLOCK_CONNECT_TIMEOUT"]),
        read_timeout=float(config["TTLOCK_READ_TIMEOUT"]),
        busy_backoff=[float(s) for s in config.get("TTLOCK_BUSY_BACKOFF", DEFAULT_BUSY_BACKOFF)],
        renew_before=timedelta(days=config["TTLOCK_RENEW_DAYS_BEFORE_EXPIRY"]),
    )


def gateway_for(config, account: str) -> Gateway:
    """The account's gateway as every worker sees it: through the database where several hosts
    share one (PostgreSQL), else through a folder on this host's disk."""
    if db.engine.dialect.name == "postgresql":
        return PostgresGateway(db.engine, account)
    return GatewayQueue(queue_directory(config, account))


def gateways_of(config, account: str):
    """Each gateway of the account by its TTLock id, queued on its own (lock checks record which
    gateway a lock is behind), built like the account's so PostgreSQL serves every host."""
    return lambda gateway_id: gateway_for(config, f"{account}:gateway-{gateway_id}")


def queue_directory(config, account: str) -> Path:
    """The folder holding one account's gateway queue: LOCK_QUEUE_DIR, else the instance folder."""
    base = config.get("LOCK_QUEUE_DIR") or os.path.join(current_app.instance_path, "lock-queues")
    # Hashed so any username makes a safe folder name, and the name is not shown in listings.
    return Path(base, hashlib.sha256(account.encode()).hexdigest()[:16])


def lock_name(ttlock_id: int) -> str | None:
    """The owner's name for a lock, for error messages."""
    with Session(db.engine) as session:
        return session.scalar(select(Lock.name).where(Lock.ttlock_id == ttlock_id))


def gateway_of(ttlock_id: int) -> int | None:
    """The gateway the last lock check found for a lock, so commands queue per gateway."""
    with Session(db.engine) as session:
        return session.scalar(select(Lock.gateway_id).where(Lock.ttlock_id == ttlock_id))


class DatabaseTokenStore:
    """TTLock tokens in the database. Its own session keeps token writes out of the caller's unit
    of work and every transaction shorter than any HTTP call."""

    def load(self, username: str) -> StoredToken | None:
        with Session(db.engine) as session:
            row = session.scalar(select(TTLockToken).where(TTLockToken.username == username))
            return None if row is None else StoredToken(row.access_token, row.refresh_token, row.expires_at)

    def save(self, username: str, token: StoredToken) -> None:
        with Session(db.engine) as session, session.begin():
            row = session.scalar(select(TTLockToken).where(TTLockToken.username == username))
            if row is None:
                row = TTLockToken(username=username)
                session.add(row)
            row.access_token = token.access
            row.refresh_token = token.refresh
            row.expires_at = token.expires_at
            row.updated_at = utc_now()


class DatabaseSimulatedLocks:
    """The simulated account in the database: its locks are the app's locks."""

    def add(self, lock_id: int, pin: str, name: str, start_ms: int, end_ms: int) -> int:
        with Session(db.engine) as session:
            code = SimulatedPasscode(lock_ttlock_id=lock_id, pin=pin, name=name, start_ms=start_ms, end_ms=end_ms)
            session.add(code)
            try:
                session.commit()
            except IntegrityError:
                raise DuplicatePasscode(f"{lock_label(lock_name(lock_id), lock_id)} already holds that PIN.") from None
            return code.id

    def delete(self, lock_id: int, passcode_id: int) -> None:
        with Session(db.engine) as session, session.begin():
            deleted = session.execute(
                delete(SimulatedPasscode).where(
                    SimulatedPasscode.lock_ttlock_id == lock_id, SimulatedPasscode.id == passcode_id
                )
            ).rowcount
        if not deleted:
            missing = PasscodeNotFound(f"Lock {lock_id} holds no passcode {passcode_id} (simulated, TTLock -2009).")
            missing.errcode = -2009
            raise missing

    def change(self, lock_id: int, passcode_id: int, start_ms: int, end_ms: int) -> None:
        with Session(db.engine) as session, session.begin():
            session.execute(
                update(SimulatedPasscode)
                .where(SimulatedPasscode.lock_ttlock_id == lock_id, SimulatedPasscode.id == passcode_id)
                .values(start_ms=start_ms, end_ms=end_ms)
            )

    def find(self, lock_id: int, pin: str) -> PasscodeOnLock | None:
        with Session(db.engine) as session:
            code = session.scalar(
                select(SimulatedPasscode).where(SimulatedPasscode.lock_ttlock_id == lock_id, SimulatedPasscode.pin == pin)
            )
            return None if code is None else PasscodeOnLock(code.id, code.pin, code.name, code.start_ms, code.end_ms)

    def codes(self, lock_id: int) -> list[PasscodeOnLock]:
        with Session(db.engine) as session:
            rows = session.scalars(select(SimulatedPasscode).where(SimulatedPasscode.lock_ttlock_id == lock_id))
            return [PasscodeOnLock(row.id, row.pin, row.name, row.start_ms, row.end_ms) for row in rows]

    def locks(self) -> list[tuple[int, str]]:
        with Session(db.engine) as session:
            return [tuple(row) for row in session.execute(select(Lock.ttlock_id, Lock.name).order_by(Lock.ttlock_id))]
