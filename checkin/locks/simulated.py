"""A lock cloud that behaves like TTLock without hardware: slow, sometimes offline, no duplicates.

Codes live in a store it is given (the app's database, so every gunicorn worker sees the same
simulated locks). Like a real gateway, the simulated one carries one command at a time and answers "busy" to a second;
commands queue for it exactly as the real client's do, so check-ins running in parallel never
meet that answer.
"""
import random
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from ..clock import to_epoch_ms, utc_now
from . import (
    IssuedBackupCode,
    LockCloud,
    LockConfigurationError,
    LockInfo,
    LockUnreachable,
    PasscodeOnLock,
)
from .gateway_queue import AccountGateways, Gateway
from .names import lock_label


class SimulatedLocks(Protocol):
    """The simulated account's memory: its locks and the codes on them."""

    def add(self, lock_id: int, pin: str, name: str, start_ms: int, end_ms: int) -> int:
        """Store a code and return its passcode id; DuplicatePasscode if the lock holds the PIN."""

    def delete(self, lock_id: int, passcode_id: int) -> None: ...

    def change(self, lock_id: int, passcode_id: int, start_ms: int, end_ms: int) -> None: ...

    def find(self, lock_id: int, pin: str) -> PasscodeOnLock | None: ...

    def codes(self, lock_id: int) -> list[PasscodeOnLock]: ...

    def locks(self) -> list[tuple[int, str]]:
        """(TTLock id, name) of every lock on the simulated account."""


class SimulatedLockCloud(LockCloud):
    def __init__(
        self,
        store: SimulatedLocks,
        queue: Gateway,
        zone: ZoneInfo,
        latency_seconds: float = 0.0,
        failure_rate: float = 0.0,
        offline_lock_ids: set[int] = frozenset(),
        gateway_of: Callable[[int], int | None] = lambda lock_id: None,
        gateway_queue: Callable[[int], Gateway] | None = None,
    ):
        self.store = store
        self.zone = zone
        self.latency_seconds = latency_seconds
        self.failure_rate = failure_rate
        self.offline_lock_ids = set(offline_lock_ids)
        self._random = random.Random()
        self._gateways = AccountGateways(queue, gateway_of, gateway_queue)

    @contextmanager
    def _through_gateway(self, lock_id: int) -> Iterator[None]:
        """Wait in line, then spend a gateway's latency and fail the way an offline gateway does."""
        gateway = self._gateways.of_lock(lock_id)
        with gateway.turn(), gateway.occupy():
            time.sleep(self.latency_seconds)
            if lock_id in self.offline_lock_ids or self._random.random() < self.failure_rate:
                raise LockUnreachable(f"The gateway for {self._lock_label(lock_id)} is offline (simulated).")
            yield

    def add_passcode(
        self, lock_id: int, pin: str, name: str, valid_from: datetime, valid_until: datetime
    ) -> int:
        with self._through_gateway(lock_id):
            return self.store.add(lock_id, pin, name, to_epoch_ms(valid_from), to_epoch_ms(valid_until))

    def delete_passcode(self, lock_id: int, passcode_id: int) -> None:
        with self._through_gateway(lock_id):
            self.store.delete(lock_id, passcode_id)

    def change_passcode(self, lock_id: int, passcode_id: int, valid_from: datetime, valid_until: datetime) -> None:
        with self._through_gateway(lock_id):
            self.store.change(lock_id, passcode_id, to_epoch_ms(valid_from), to_epoch_ms(valid_until))

    def gateway_turn(self, lock_ids=()):
        return self._gateways.turns(lock_ids)

    def gateway_key(self, lock_id: int) -> int | None:
        return self._gateways.gateway_of(lock_id)

    def get_backup_code(self, lock_id: int, name: str, valid_from: datetime, valid_until: datetime) -> IssuedBackupCode:
        # Like TTLock's: made by the cloud, so an offline gateway does not matter.
        code = str(secrets.randbelow(9 * 10**8) + 10**8)
        passcode_id = self.store.add(lock_id, code, name, to_epoch_ms(valid_from), to_epoch_ms(valid_until))
        return IssuedBackupCode(passcode_id, code)

    def find_passcode(self, lock_id: int, pin: str) -> PasscodeOnLock | None:
        return self.store.find(lock_id, pin)

    def list_passcodes(self, lock_id: int) -> list[PasscodeOnLock]:
        return self.store.codes(lock_id)

    def lock_gateways(self, lock_id: int) -> list[int]:
        # The gateway the lock is set to (one shared gateway, 1, by default); an offline one hears nothing.
        return [] if lock_id in self.offline_lock_ids else [self._gateways.gateway_of(lock_id) or 1]

    def lock_clock(self, lock_id: int) -> datetime:
        with self._through_gateway(lock_id):
            return utc_now()

    def list_locks(self) -> list[LockInfo]:
        # Every lock the app knows is a simulated lock on the account.
        return [self._healthy(lock_id, name) for lock_id, name in self.store.locks()]

    def lock_detail(self, lock_id: int) -> LockInfo:
        names = dict(self.store.locks())
        if lock_id not in names:
            raise LockConfigurationError(f"Lock {lock_id} does not exist (simulated, TTLock error -1003).")
        return self._healthy(lock_id, names[lock_id])

    def _lock_label(self, lock_id: int) -> str:
        return lock_label(dict(self.store.locks()).get(lock_id), lock_id)

    def _healthy(self, lock_id: int, name: str) -> LockInfo:
        """A healthy simulated lock: gateway bound, battery full, clock in the property's zone."""
        offset = utc_now().astimezone(self.zone).utcoffset()
        return LockInfo(lock_id, name, True, 100, int(offset.total_seconds() * 1000))
