"""The gateway queue: one command at a time across threads and processes, first come first served."""
import fcntl
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import codes_on

from checkin.locks import DuplicatePasscode, LockBusy, LockUnreachable
from checkin.locks.gateway_queue import GatewayQueue
from checkin.locks.simulated import SimulatedLockCloud
from checkin.pins.cloud import DatabaseSimulatedLocks

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 10, 24, 14, 0, tzinfo=timezone.utc)

# Another worker process: holds a turn until told to let go (a line on stdin) or killed.
HOLDER = """
import sys
from pathlib import Path
from checkin.locks.gateway_queue import GatewayQueue
with GatewayQueue(Path(sys.argv[1])).turn():
    print("holding", flush=True)
    sys.stdin.readline()
"""


def tickets(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.startswith("ticket-"))


def wait_until(condition, seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


@pytest.fixture
def holder_process(tmp_path):
    """A second process holding the queue's turn; always ended by the test."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "queue")],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline() == "holding\n"
        yield process
    finally:
        process.kill()
        process.wait()
        process.stdin.close()
        process.stdout.close()


def test_turns_are_served_in_arrival_order(tmp_path):
    queue = GatewayQueue(tmp_path, poll_seconds=0.002)
    holding, release, served = threading.Event(), threading.Event(), []

    def first():
        with queue.turn():
            holding.set()
            release.wait(5)

    def later(n: int):
        with queue.turn():
            served.append(n)

    threads = [threading.Thread(target=first)]
    threads[0].start()
    assert holding.wait(2)
    for n in range(5):
        threads.append(threading.Thread(target=later, args=(n,)))
        threads[-1].start()
        wait_until(lambda: len(tickets(tmp_path)) == n + 2)  # it has taken its ticket
    release.set()
    for thread in threads:
        thread.join()

    assert served == [0, 1, 2, 3, 4]
    assert tickets(tmp_path) == []


def test_a_turn_held_by_another_process_is_waited_for(tmp_path, holder_process):
    queue = GatewayQueue(tmp_path / "queue", poll_seconds=0.002)
    entered = threading.Event()

    def take_turn():
        with queue.turn():
            entered.set()

    waiter = threading.Thread(target=take_turn)
    waiter.start()
    assert not entered.wait(0.1)
    holder_process.stdin.write("done\n")
    holder_process.stdin.flush()
    assert entered.wait(2)
    waiter.join()


def test_a_holder_that_died_does_not_block_the_queue(tmp_path, holder_process):
    holder_process.kill()
    holder_process.wait()
    queue = GatewayQueue(tmp_path / "queue", max_wait_seconds=2, poll_seconds=0.002)
    with queue.turn():
        pass
    assert tickets(tmp_path / "queue") == []


def test_waiting_too_long_is_busy_and_leaves_the_queue(tmp_path):
    queue = GatewayQueue(tmp_path, max_wait_seconds=0.05, poll_seconds=0.002)
    outcome = []

    def wait_behind():
        try:
            with queue.turn():
                outcome.append("got a turn")
        except LockBusy as error:
            outcome.append(str(error))

    with queue.turn():
        waiter = threading.Thread(target=wait_behind)
        waiter.start()
        waiter.join(5)
        assert outcome and outcome[0].startswith("Waited")
        assert len(tickets(tmp_path)) == 1


def test_a_turn_is_reentrant_in_its_thread_only(tmp_path):
    """A PIN job holds one turn for all its commands; each command asks again without waiting."""
    queue = GatewayQueue(tmp_path, poll_seconds=0.002)
    order = []

    def other_guest():
        with queue.turn():
            order.append("other guest")

    with queue.turn():
        other = threading.Thread(target=other_guest)
        other.start()
        for lock in ("front door", "room"):
            with queue.turn():
                order.append(lock)
        time.sleep(0.05)
    other.join(5)
    assert order == ["front door", "room", "other guest"]
    assert tickets(tmp_path) == []


def test_a_turn_is_reentrant_across_queue_objects_for_one_folder(tmp_path):
    """Two clients of one account (built by two threads at once) share the folder's turn."""
    first, second = GatewayQueue(tmp_path, max_wait_seconds=1), GatewayQueue(tmp_path, max_wait_seconds=1)
    with first.turn(), second.turn():
        pass
    assert tickets(tmp_path) == []


def test_the_lock_cloud_is_built_once_when_many_jobs_ask_at_once(app):
    from checkin.pins import lock_cloud

    app.extensions.pop("lock_cloud", None)
    start, clients = threading.Barrier(8), []

    def ask():
        with app.app_context():
            start.wait()
            clients.append(lock_cloud())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len({id(client) for client in clients}) == 1


def simulated_cloud(tmp_path, **overrides) -> SimulatedLockCloud:
    settings = dict(latency_seconds=0.01, failure_rate=0.0, offline_lock_ids=set())
    queue = GatewayQueue(tmp_path / "q", poll_seconds=0.002)
    return SimulatedLockCloud(DatabaseSimulatedLocks(), queue, ZoneInfo("Europe/London"), **{**settings, **overrides})


def test_parallel_check_ins_never_meet_a_busy_simulated_gateway(app, tmp_path):
    cloud = simulated_cloud(tmp_path)
    start, failures, ids = threading.Barrier(6), [], []

    def check_in(n: int):
        with app.app_context():
            start.wait()
            try:
                ids.append(cloud.add_passcode(1001, str(3000 + n * 11), f"Guest {n}", NOW, NOW + timedelta(days=1)))
            except LockBusy as busy:
                failures.append(busy.reason)

    threads = [threading.Thread(target=check_in, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    with app.app_context():
        assert len(codes_on(app, 1001)) == 6


def test_simulated_gateway_in_use_elsewhere_answers_busy(app, tmp_path):
    cloud = simulated_cloud(tmp_path)
    (tmp_path / "q").mkdir()
    # A command that skipped the queue, as a second process without it would.
    fd = os.open(tmp_path / "q" / "gateway-in-use", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with app.app_context(), pytest.raises(LockBusy) as raised:
            cloud.add_passcode(1001, "4821", "Guest", NOW, NOW + timedelta(days=1))
    finally:
        os.close(fd)
    assert raised.value.errcode == -3003


def test_simulated_cloud_keeps_refusing_duplicates_and_offline_locks(app, tmp_path):
    cloud = simulated_cloud(tmp_path, offline_lock_ids={1002})
    with app.app_context():
        cloud.add_passcode(1001, "4821", "Guest", NOW, NOW + timedelta(days=1))
        with pytest.raises(DuplicatePasscode):
            cloud.add_passcode(1001, "4821", "Guest", NOW, NOW + timedelta(days=1))
        with pytest.raises(LockUnreachable):
            cloud.add_passcode(1002, "4821", "Guest", NOW, NOW + timedelta(days=1))
