"""A lock cloud that behaves like TTLock without hardware: slow, sometimes offline, no duplicates.

Codes live in the app's database, so every gunicorn worker sees the same simulated locks. Like a
real gateway, the simulated one carries one command at a time and answers "busy" to a second;
commands queue for it exactly as the real client's do, so check-ins running in parallel never
meet that answer.
"""
import fcntl
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..clock import property_zone, to_epoch_ms, utc_now
from ..extensions import db
from ..models import Lock, SimulatedPasscode
from . import (
    DuplicatePasscode,
    LockBusy,
    LockCloud,
    LockConfigurationError,
    LockInfo,
    LockUnreachable,
    PasscodeOnLock,
)
from .gateway_queue import GatewayQueue, queue_directory
from .names import label_for_lock_id


class SimulatedLockCloud(LockCloud):
    def __init__(
        self,
        latency_seconds: float,
        failure_rate: float,
        offline_lock_ids: set[int],
        queue: GatewayQueue | None = None,
    ):
        self.latency_seconds = latency_seconds
        self.failure_rate = failure_rate
        self.offline_lock_ids = offline_lock_ids
        self._random = random.Random()
        # Without one given, the queue is found from the app's config at the first command.
        self._queue = queue

    def _gateway_queue(self) -> GatewayQueue:
        if self._queue is None:
            self._queue = GatewayQueue(queue_directory(current_app.config, "simulated"))
        return self._queue

    @contextmanager
    def _through_gateway(self, lock_id: int) -> Iterator[None]:
        """Wait in line, then spend a gateway's latency and fail the way an offline gateway does."""
        with self._gateway_queue().turn(), self._gateway_in_use():
            time.sleep(self.latency_seconds)
            if lock_id in self.offline_lock_ids or self._random.random() < self.failure_rate:
                raise LockUnreachable(f"The gateway for {label_for_lock_id(lock_id)} is offline (simulated).")
            yield

    @contextmanager
    def _gateway_in_use(self) -> Iterator[None]:
        """Occupy the simulated gateway, or answer "busy" as TTLock does if it is occupied."""
        path = self._gateway_queue().directory / "gateway-in-use"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                busy = LockBusy("The simulated gateway is busy with another command (TTLock error -3003).")
                busy.errcode = -3003
                raise busy from None
            yield
        finally:
            os.close(fd)

    def add_passcode(
        self, lock_id: int, pin: str, name: str, valid_from: datetime, valid_until: datetime
    ) -> int:
        with self._through_gateway(lock_id):
            code = SimulatedPasscode(
                lock_ttlock_id=lock_id,
                pin=pin,
                name=name,
                start_ms=to_epoch_ms(valid_from),
                end_ms=to_epoch_ms(valid_until),
            )
            db.session.add(code)
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                raise DuplicatePasscode(f"{label_for_lock_id(lock_id)} already holds that PIN.") from None
            return code.id

    def delete_passcode(self, lock_id: int, passcode_id: int) -> None:
        with self._through_gateway(lock_id):
            db.session.execute(
                db.delete(SimulatedPasscode).where(
                    SimulatedPasscode.lock_ttlock_id == lock_id, SimulatedPasscode.id == passcode_id
                )
            )
            db.session.commit()

    def gateway_turn(self):
        return self._gateway_queue().turn()

    def find_passcode(self, lock_id: int, pin: str) -> PasscodeOnLock | None:
        code = db.session.scalar(
            select(SimulatedPasscode).where(
                SimulatedPasscode.lock_ttlock_id == lock_id, SimulatedPasscode.pin == pin
            )
        )
        db.session.commit()
        if code is None:
            return None
        return PasscodeOnLock(code.id, code.pin, code.name, code.start_ms, code.end_ms)

    def list_locks(self) -> list[LockInfo]:
        # Every lock in the app's database is a simulated lock on the account.
        infos = [_simulated_info(lock) for lock in db.session.scalars(select(Lock).order_by(Lock.ttlock_id))]
        db.session.commit()
        return infos

    def lock_detail(self, lock_id: int) -> LockInfo:
        lock = db.session.scalar(select(Lock).where(Lock.ttlock_id == lock_id))
        info = None if lock is None else _simulated_info(lock)
        db.session.commit()
        if info is None:
            raise LockConfigurationError(f"Lock {lock_id} does not exist (simulated, TTLock error -1003).")
        return info

    @staticmethod
    def codes_on_lock(lock_id: int) -> list[PasscodeOnLock]:
        """Every code on a simulated lock: what tests and the demo inspect."""
        codes = db.session.scalars(
            select(SimulatedPasscode).where(SimulatedPasscode.lock_ttlock_id == lock_id)
        ).all()
        return [PasscodeOnLock(c.id, c.pin, c.name, c.start_ms, c.end_ms) for c in codes]


def _simulated_info(lock: Lock) -> LockInfo:
    """A healthy simulated lock: gateway bound, battery full, clock in the property's zone."""
    offset = utc_now().astimezone(property_zone()).utcoffset()
    return LockInfo(lock.ttlock_id, lock.name, True, 100, int(offset.total_seconds() * 1000))
