"""A lock cloud that behaves like TTLock without hardware: slow, sometimes offline, no duplicates.

Codes live in the app's database, so every gunicorn worker sees the same simulated locks.
"""
import random
import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..clock import to_epoch_ms
from ..extensions import db
from ..models import SimulatedPasscode
from . import DuplicatePasscode, LockCloud, LockUnreachable, PasscodeOnLock


class SimulatedLockCloud(LockCloud):
    def __init__(self, latency_seconds: float, failure_rate: float, offline_lock_ids: set[int]):
        self.latency_seconds = latency_seconds
        self.failure_rate = failure_rate
        self.offline_lock_ids = offline_lock_ids
        self._random = random.Random()

    def _reach_lock(self, lock_id: int) -> None:
        """Spend a gateway's latency, then fail the way an offline gateway does."""
        time.sleep(self.latency_seconds)
        if lock_id in self.offline_lock_ids or self._random.random() < self.failure_rate:
            raise LockUnreachable(f"The gateway for lock {lock_id} is offline (simulated).")

    def add_passcode(
        self, lock_id: int, pin: str, name: str, valid_from: datetime, valid_until: datetime
    ) -> int:
        self._reach_lock(lock_id)
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
            raise DuplicatePasscode(f"Lock {lock_id} already holds that PIN.") from None
        return code.id

    def delete_passcode(self, lock_id: int, passcode_id: int) -> None:
        self._reach_lock(lock_id)
        db.session.execute(
            db.delete(SimulatedPasscode).where(
                SimulatedPasscode.lock_ttlock_id == lock_id, SimulatedPasscode.id == passcode_id
            )
        )
        db.session.commit()

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

    @staticmethod
    def codes_on_lock(lock_id: int) -> list[PasscodeOnLock]:
        """Every code on a simulated lock: what tests and the demo inspect."""
        codes = db.session.scalars(
            select(SimulatedPasscode).where(SimulatedPasscode.lock_ttlock_id == lock_id)
        ).all()
        return [PasscodeOnLock(c.id, c.pin, c.name, c.start_ms, c.end_ms) for c in codes]
