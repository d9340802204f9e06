"""The in-process executor that runs PIN jobs. The database row, not the future, is the truth.

Each worker process owns one pool, created on first use so none exists before gunicorn forks.
While a job is queued or running, a heartbeat thread stamps its row, so any worker can tell a
job whose process died (no heartbeat, or a dead pid on this host) and take it over.
"""
import logging
import os
import socket
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import update

log = logging.getLogger(__name__)


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
    def __init__(self, app: Flask):
        self.app = app
        self._executor: ThreadPoolExecutor | None = None
        self._jobs: dict[int, tuple[str, Future]] = {}
        self._guard = threading.Lock()
        self._closed = False
        self._stop_heartbeat = threading.Event()

    def submit(self, check_in_id: int, job_id: str) -> bool:
        """Run the PIN job in the background; False if this process is shutting down."""
        from .services.pin_generation import run_pin_job

        with self._guard:
            if self._closed:
                log.warning("Check-in %s left pending for recovery: the worker is shutting down", check_in_id)
                return False
            if self._executor is None:
                self._start()
            future = self._executor.submit(run_pin_job, self.app, check_in_id, job_id)
            self._jobs[check_in_id] = (job_id, future)
        future.add_done_callback(lambda done: self._forget(check_in_id, done))
        return True

    def _start(self) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=self.app.config["PIN_JOB_THREADS"], thread_name_prefix="pin-job"
        )
        threading.Thread(target=self._beat, name="pin-job-heartbeat", daemon=True).start()

    def _forget(self, check_in_id: int, future: Future) -> None:
        with self._guard:
            if self._jobs.get(check_in_id, (None, None))[1] is future:
                del self._jobs[check_in_id]

    def _beat(self) -> None:
        from .extensions import db
        from .clock import utc_now
        from .models import CheckIn

        interval = float(self.app.config["PIN_JOB_HEARTBEAT_SECONDS"])
        while not self._stop_heartbeat.wait(interval):
            with self._guard:
                job_ids = [job_id for job_id, _ in self._jobs.values()]
            if not job_ids:
                continue
            try:
                with self.app.app_context():
                    db.session.execute(
                        update(CheckIn).where(CheckIn.pin_job_id.in_(job_ids)).values(pin_heartbeat_at=utc_now())
                    )
                    db.session.commit()
            except Exception:
                log.exception("PIN job heartbeat failed; will try again")

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
        database for another worker, unless cancel_queued is False (a command that must finish)."""
        with self._guard:
            self._closed = True
            executor = self._executor
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=cancel_queued)
        self._stop_heartbeat.set()


def init_app(app: Flask) -> None:
    # Shut down from gunicorn's worker_exit hook (deploy/gunicorn.conf.py); at plain interpreter
    # exit concurrent.futures already joins its threads.
    app.extensions["pin_jobs"] = PinJobRunner(app)


def pin_jobs() -> PinJobRunner:
    """The current app's job runner."""
    return current_app.extensions["pin_jobs"]
