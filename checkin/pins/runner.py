"""The in-process executor that runs PIN jobs. The database row, not the future, is the truth.

Each worker process owns one pool, started on first use (or by gunicorn's post_worker_init) so
none exists before gunicorn forks. While the pool runs, a monitor thread stamps the rows of this
process's jobs, so any worker can tell a job whose process died (no heartbeat, or a dead pid on
this host), and on the same tick takes over such jobs: recovery is a step of the runner, not a
side effect of reading a check-in.
"""
import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import update

from ..clock import utc_now
from ..extensions import db
from ..models import CheckIn

log = logging.getLogger(__name__)

# A monitor tick is a few queries; one stuck longer than this is left to finish on its own.
MONITOR_STOP_SECONDS = 10.0


def _process_start_time(pid: int) -> str | None:
    """The kernel's start time of a process, which tells it apart from a later one with its pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def process_identity() -> str:
    """'host:pid:start' for this process, stored on the rows of the jobs it runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{_process_start_time(os.getpid()) or 0}"


def process_is_dead(identity: str) -> bool:
    """True only when the process is certainly gone: on this host, and its pid ended or reused."""
    host, _, rest = identity.partition(":")
    pid, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if start == "0":  # no /proc here: fall back to asking whether the pid exists
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return _process_start_time(int(pid)) != start


class PinJobRunner:
    """Runs `job(app, check_in_id, job_id)` in a thread pool; on every monitor tick, stamps the
    heartbeat of this process's jobs and calls `on_tick()` (which takes over abandoned jobs)."""

    def __init__(self, app: Flask, job: Callable[[Flask, int, str], None], on_tick: Callable[[], int]):
        self.app = app
        self._job = job
        self._on_tick = on_tick
        self._executor: ThreadPoolExecutor | None = None
        self._jobs: dict[int, tuple[str, Future]] = {}
        self._guard = threading.Lock()
        self._closed = False
        self._stop_heartbeat = threading.Event()
        self._monitor_thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the pool and its monitor in this process (after gunicorn's fork); idempotent."""
        with self._guard:
            if self._executor is None and not self._closed:
                self._start()

    def submit(self, check_in_id: int, job_id: str) -> bool:
        """Run the PIN job in the background; False if this process is shutting down."""
        with self._guard:
            if self._closed:
                log.warning("Check-in %s left pending for recovery: the worker is shutting down", check_in_id)
                return False
            if self._executor is None:
                self._start()
            future = self._executor.submit(self._job, self.app, check_in_id, job_id)
            self._jobs[check_in_id] = (job_id, future)
        future.add_done_callback(lambda done: self._forget(check_in_id, done))
        return True

    def run_in_background(self, task: Callable[..., None], *args) -> bool:
        """Run other lock work (moving a guest's code, removing a revoked guest's codes) in the
        pool, inside an app context, so no request waits on a gateway; False if this process is
        shutting down (the timer's sweep then does the work)."""
        with self._guard:
            if self._closed:
                log.warning("Lock work %s not started: the worker is shutting down", task.__name__)
                return False
            if self._executor is None:
                self._start()
            self._executor.submit(self._in_app_context, task, args)
        return True

    def _in_app_context(self, task: Callable[..., None], args: tuple) -> None:
        with self.app.app_context():
            try:
                task(*args)
            except Exception:
                log.exception("Lock work %s crashed", task.__name__)

    def _start(self) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=self.app.config["PIN_JOB_THREADS"], thread_name_prefix="pin-job"
        )
        self._monitor_thread = threading.Thread(target=self._monitor, name="pin-job-monitor", daemon=True)
        self._monitor_thread.start()

    def _forget(self, check_in_id: int, future: Future) -> None:
        with self._guard:
            if self._jobs.get(check_in_id, (None, None))[1] is future:
                del self._jobs[check_in_id]

    def _monitor(self) -> None:
        interval = float(self.app.config["PIN_JOB_HEARTBEAT_SECONDS"])
        while not self._stop_heartbeat.wait(interval):
            try:
                with self.app.app_context():
                    self._stamp_heartbeats()
                    self._on_tick()
            except Exception:
                log.exception("PIN job monitor failed; will try again")

    def _stamp_heartbeats(self) -> None:
        with self._guard:
            job_ids = [job_id for job_id, _ in self._jobs.values()]
        if job_ids:
            db.session.execute(
                update(CheckIn).where(CheckIn.pin_job_id.in_(job_ids)).values(pin_heartbeat_at=utc_now())
            )
            db.session.commit()

    def wait(self, check_in_id: int, timeout: float) -> bool:
        """Wait for this process's job for the check-in, if it has one; True if there was one."""
        with self._guard:
            job = self._jobs.get(check_in_id)
        if job is None:
            return False
        wait_for_futures([job[1]], timeout=timeout)
        return True

    def shutdown(self, cancel_queued: bool = True) -> None:
        """Refuse new jobs and finish running ones; queued ones are left pending in the
        database for another worker, unless cancel_queued is False (a command that must finish).
        The monitor stamps heartbeats until the running jobs end, then stops: no tick of this
        runner touches the database once shutdown has returned."""
        with self._guard:
            self._closed = True
            executor = self._executor
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=cancel_queued)
        self._stop_heartbeat.set()
        if self._monitor_thread is not None:
            self._monitor_thread.join(MONITOR_STOP_SECONDS)


def pin_jobs() -> PinJobRunner:
    """The current app's job runner."""
    return current_app.extensions["pin_jobs"]
