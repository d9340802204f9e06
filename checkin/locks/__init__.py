"""The lock cloud behind one small interface: TTLock for real, or a simulation. Built by checkin.pins.cloud."""
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime

# featureValue bit 56: a Wi-Fi lock, which reaches the cloud by itself and needs no gateway.
WIFI_FEATURE_BIT = 56


class LockCloudError(Exception):
    """A lock-cloud call failed. `reason` is plain words for the owner, never for a guest."""

    retryable = True
    # TTLock's error number when the cloud gave one; None for network trouble or other backends.
    errcode: int | None = None

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class LockBusy(LockCloudError):
    """The gateway or cloud is busy or glitched: the same call may work in a few seconds."""


class LockUnreachable(LockCloudError):
    """The lock or its gateway is offline."""


class DuplicatePasscode(LockCloudError):
    """The lock already holds this PIN (ours after a timeout, or someone else's)."""


class PasscodeNotFound(LockCloudError):
    """The cloud knows no passcode with this id on the lock (TTLock -2009)."""


class PasscodeRejected(LockCloudError):
    """The lock refuses this PIN (length or too simple): pick another."""


class QuotaExceeded(LockCloudError):
    """The TTLock account ran out of API calls."""

    retryable = False


class LockConfigurationError(LockCloudError):
    """Credentials, region, lock ids or the server clock are wrong: the owner must fix them."""

    retryable = False


@dataclass(frozen=True)
class PasscodeOnLock:
    passcode_id: int
    pin: str
    name: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class IssuedBackupCode:
    """A code the lock checks by itself, with no gateway (TTLock's "random" period passcode)."""

    passcode_id: int
    code: str


@dataclass(frozen=True)
class LockInfo:
    """A lock as the account sees it; the offset is only known from a lock's detail."""

    lock_id: int
    name: str
    has_gateway: bool
    battery_percent: int | None
    timezone_offset_ms: int | None = None
    is_wifi: bool = False


class LockCloud(ABC):
    """What the app needs from a lock cloud: put a period PIN on a lock, re-date it, find it, remove it."""

    @abstractmethod
    def add_passcode(
        self, lock_id: int, pin: str, name: str, valid_from: datetime, valid_until: datetime
    ) -> int:
        """Write a PIN valid between two instants to the lock; return its passcode id."""

    @abstractmethod
    def delete_passcode(self, lock_id: int, passcode_id: int) -> None:
        """Remove a passcode from the lock; PasscodeNotFound if the cloud knows no such id
        (the caller looks for the code by PIN before taking it as gone)."""

    @abstractmethod
    def change_passcode(self, lock_id: int, passcode_id: int, valid_from: datetime, valid_until: datetime) -> None:
        """Give a passcode on the lock new dates (a stay moved, lengthened or cut short)."""

    @abstractmethod
    def find_passcode(self, lock_id: int, pin: str) -> PasscodeOnLock | None:
        """The passcode on the lock with exactly this PIN, if any."""

    @abstractmethod
    def get_backup_code(self, lock_id: int, name: str, valid_from: datetime, valid_until: datetime) -> IssuedBackupCode:
        """A code for the period that works without a gateway: 6-9 digits chosen by the cloud,
        whole hours, and suspended unless first typed within 24 hours of its start."""

    def list_locks(self) -> list[LockInfo]:
        """Every lock the account administers (for the owner's `locks` commands)."""
        raise LockConfigurationError(f"{type(self).__name__} cannot list the locks on an account.")

    def lock_detail(self, lock_id: int) -> LockInfo:
        """One lock's detail, including its time zone offset."""
        raise LockConfigurationError(f"{type(self).__name__} cannot read a lock's detail.")

    def lock_gateways(self, lock_id: int) -> list[int]:
        """Ids of the gateways that heard the lock lately (TTLock: in the last 30 minutes)."""
        raise LockConfigurationError(f"{type(self).__name__} cannot list a lock's gateways.")

    def lock_clock(self, lock_id: int) -> datetime:
        """The time on the lock's own clock, read through its gateway."""
        raise LockConfigurationError(f"{type(self).__name__} cannot read a lock's clock.")

    def list_passcodes(self, lock_id: int) -> list[PasscodeOnLock]:
        """Every passcode on the lock, ours and others'."""
        raise LockConfigurationError(f"{type(self).__name__} cannot list a lock's passcodes.")

    def gateway_turn(self, lock_ids: Sequence[int] = ()) -> AbstractContextManager:
        """Hold the gateways of these locks for a series of commands, so one guest's PIN reaches
        every lock before the next guest's starts (a cloud without a shared gateway needs no turn)."""
        return nullcontext()

    def gateway_key(self, lock_id: int) -> int | None:
        """Which gateway carries commands to the lock, as far as known: locks behind different
        gateways can take commands at the same time (None: the account's one queue)."""
        return None
