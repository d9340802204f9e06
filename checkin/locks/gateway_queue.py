"""One gateway command at a time per lock account, across threads and gunicorn workers, in arrival order.

A gateway talks Bluetooth to one lock at a time and answers a second command with "busy"
(TTLock -3003), so every worker process queues here before sending a command.

How: each waiter takes the next ticket (a file in the queue folder, created and flock-ed while
the folder is locked) and waits until no lower ticket is held. Tickets are served in the order
they were taken. A holder that dies loses its flock with its process, so the next waiter finds
the dead ticket unlocked, removes it and carries on: no stale lock needs cleaning by hand.
flock serialises processes on one host only, with the folder on a local disk (not NFS).
"""
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Protocol

from . import LockBusy

_TICKET_PREFIX = "ticket-"
GATEWAY_BUSY = -3003


def gateway_busy() -> LockBusy:
    """What a gateway answers a second command while it carries one (TTLock error -3003)."""
    busy = LockBusy("The gateway is busy with another command (TTLock error -3003).")
    busy.errcode = GATEWAY_BUSY
    return busy


@contextmanager
def exclusive_file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on a file, waiting as long as it takes (holders are short)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


_this_thread = threading.local()


def _turns_held_by_this_thread() -> set[Path]:
    """The queue folders whose turn this thread holds: by folder, not by object, since two
    clients of one account share a queue."""
    if not hasattr(_this_thread, "held"):
        _this_thread.held = set()
    return _this_thread.held


class Gateway(Protocol):
    """One lock account's gateway as every worker sees it: a turn at it, one command at a time,
    and short exclusive sections (a token renewal) that no two workers run at once.

    GatewayQueue below serves the workers of one host; checkin.pins.gateway_turns serves every
    host on one PostgreSQL database.
    """

    def turn(self) -> AbstractContextManager[None]:
        """Wait for this caller's turn and hold it for the block; re-entrant in one thread."""

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        """Hold the section called `name` for the block, waiting as long as it takes."""

    def occupy(self) -> AbstractContextManager[None]:
        """Hold the gateway itself for one command, or raise LockBusy at once if another holds it."""


@contextmanager
def turns_of(gateways: Mapping[str, Gateway]) -> Iterator[None]:
    """Hold the turns of several gateways, always taken in the order of their keys, so two holders
    of overlapping sets never wait on each other."""
    with ExitStack() as stack:
        for key in sorted(gateways):
            stack.enter_context(gateways[key].turn())
        yield


class AccountGateways:
    """The gateways of one lock account: a queue per gateway, so two gateways carry two commands
    at once, and the account's own queue for a lock whose gateway no lock check has recorded yet."""

    def __init__(
        self,
        account: Gateway,
        gateway_of: Callable[[int], int | None] = lambda lock_id: None,
        gateway_queue: Callable[[int], Gateway] | None = None,
    ):
        self.account = account
        self.gateway_of = gateway_of
        self._gateway_queue = gateway_queue

    def of_lock(self, lock_id: int | None) -> Gateway:
        gateway_id = None if lock_id is None else self.gateway_of(lock_id)
        if gateway_id is None or self._gateway_queue is None:
            return self.account
        return self._gateway_queue(gateway_id)

    def turns(self, lock_ids: Sequence[int] = ()) -> AbstractContextManager[None]:
        """One turn at every gateway the locks are behind (the account's turn when none given)."""
        if not lock_ids:
            return self.account.turn()
        return turns_of({str(self.gateway_of(lock_id)): self.of_lock(lock_id) for lock_id in lock_ids})


class GatewayQueue:
    """A first-come first-served queue shared by every process that uses the same folder."""

    def __init__(self, directory: Path, max_wait_seconds: float = 600.0, poll_seconds: float = 0.02):
        self.directory = Path(directory)
        self.max_wait_seconds = max_wait_seconds
        self.poll_seconds = poll_seconds

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for this caller's turn, hold it for the block, then pass it to the next in line.

        Re-entrant in one thread: a PIN job holds one turn for all its commands, and each
        command inside asks again without waiting behind itself.
        """
        held = _turns_held_by_this_thread()
        if self.directory in held:
            yield
            return
        ticket, fd = self._take_ticket()
        path = self._ticket_path(ticket)
        try:
            self._wait_for_predecessors(ticket)
            held.add(self.directory)
            yield
        finally:
            held.discard(self.directory)
            # Unlink before closing: a successor never mistakes a finished ticket for a live one.
            path.unlink(missing_ok=True)
            os.close(fd)

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        return exclusive_file_lock(self.directory / f"{name}.lock")

    @contextmanager
    def occupy(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / "gateway-in-use", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise gateway_busy() from None
            yield
        finally:
            os.close(fd)

    def _ticket_path(self, ticket: int) -> Path:
        return self.directory / f"{_TICKET_PREFIX}{ticket:012d}"

    def _tickets(self) -> list[int]:
        return sorted(
            int(name[len(_TICKET_PREFIX):])
            for name in os.listdir(self.directory)
            if name.startswith(_TICKET_PREFIX)
        )

    def _take_ticket(self) -> tuple[int, int]:
        # The folder lock makes "read the last ticket, create and lock the next" one step, so
        # no waiter can see a gap where a ticket is numbered but not yet held.
        with exclusive_file_lock(self.directory / "folder.lock"):
            tickets = self._tickets()
            ticket = tickets[-1] + 1 if tickets else 0
            fd = os.open(self._ticket_path(ticket), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return ticket, fd

    def _wait_for_predecessors(self, ticket: int) -> None:
        deadline = time.monotonic() + self.max_wait_seconds
        while True:
            ahead = [t for t in self._tickets() if t < ticket]
            if not ahead:
                return
            self._wait_until_released(self._ticket_path(ahead[-1]), deadline)

    def _wait_until_released(self, path: Path, deadline: float) -> None:
        """Block until the ticket's holder finished, gave up or died, then clear its file."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise LockBusy(
                            f"Waited {self.max_wait_seconds:.0f} seconds for earlier lock commands "
                            "to finish; the gateway queue is stuck or very long."
                        ) from None
                    time.sleep(self.poll_seconds)
            # Unlocked yet still there: its holder died. Ticket names are never reused while a
            # later ticket exists, so this cannot remove a live ticket.
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
