"""Lock clouds for tests: the simulated one, held at a gate or scripted to fail."""
import tempfile
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from checkin.locks.gateway_queue import GatewayQueue
from checkin.locks.simulated import SimulatedLockCloud
from checkin.pins.cloud import DatabaseSimulatedLocks, gateway_of


class ScriptedLockCloud(SimulatedLockCloud):
    """The simulated cloud, instant, with scripted failures and an optional gate.

    `failures` maps (operation, ttlock lock id) to a list of exceptions raised in turn by the
    next calls; `write_then_fail` makes an add write the code and then raise, as a timed-out
    call that succeeded on the lock does. While `gate` is clear, adds wait for it, at most
    `gate_seconds`.
    """

    def __init__(self):
        # Codes in the app's database, as the real simulated backend keeps them; a queue of its own.
        queue = GatewayQueue(Path(tempfile.mkdtemp(prefix="scripted-gateway-")))
        super().__init__(DatabaseSimulatedLocks(), queue, ZoneInfo("Europe/London"), gateway_of=gateway_of,
                         gateway_queue=lambda gateway_id: GatewayQueue(queue.directory / f"gateway-{gateway_id}"))
        self.failures: dict[tuple[str, int], list[Exception]] = {}
        self.write_then_fail: dict[int, list[Exception]] = {}
        self.gate = threading.Event()
        self.gate.set()
        self.gate_seconds = 10.0
        self.calls: list[tuple[str, int, str | int]] = []

    def _scripted(self, operation: str, lock_id: int) -> None:
        pending = self.failures.get((operation, lock_id))
        if pending:
            raise pending.pop(0)

    def add_passcode(self, lock_id, pin, name, valid_from, valid_until):
        assert self.gate.wait(self.gate_seconds), "test gate never opened"
        self.calls.append(("add", lock_id, pin))
        self._scripted("add", lock_id)
        passcode_id = super().add_passcode(lock_id, pin, name, valid_from, valid_until)
        pending = self.write_then_fail.get(lock_id)
        if pending:
            raise pending.pop(0)
        return passcode_id

    def change_passcode(self, lock_id, passcode_id, valid_from, valid_until):
        self.calls.append(("change", lock_id, passcode_id))
        self._scripted("change", lock_id)
        super().change_passcode(lock_id, passcode_id, valid_from, valid_until)

    def delete_passcode(self, lock_id, passcode_id):
        self.calls.append(("delete", lock_id, passcode_id))
        self._scripted("delete", lock_id)
        super().delete_passcode(lock_id, passcode_id)


def use_lock_cloud(app, cloud) -> None:
    """Make `cloud` the app's lock cloud: the one place tests replace."""
    app.extensions["lock_cloud"] = cloud

