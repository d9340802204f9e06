"""The in-process executor that runs PIN jobs. The database row, not the future, is the truth."""
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures

from flask import Flask, current_app

log = logging.getLogger(__name__)


class PinJobRunner:
    """Owns one app's thread pool, created on first use so none exists before gunicorn forks."""

    def __init__(self, app: Flask):
        self.app = app
        self._executor: ThreadPoolExecutor | None = None
        self._futures: dict[int, Future] = {}
        self._guard = threading.Lock()
        self._closed = False

    def submit(self, check_in_id: int, job_id: str) -> bool:
        """Run the PIN job in the background; False if this process is shutting down."""
        from .services.pin_generation import run_pin_job

        with self._guard:
            if self._closed:
                log.warning("Check-in %s left pending: the worker is shutting down", check_in_id)
                return False
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.app.config["PIN_JOB_THREADS"], thread_name_prefix="pin-job"
                )
            future = self._executor.submit(run_pin_job, self.app, check_in_id, job_id)
            self._futures[check_in_id] = future
        future.add_done_callback(lambda done: self._forget(check_in_id, done))
        return True

    def _forget(self, check_in_id: int, future: Future) -> None:
        with self._guard:
            if self._futures.get(check_in_id) is future:
                del self._futures[check_in_id]

    def wait(self, check_in_id: int, timeout: float) -> bool:
        """Wait for this process's job for the check-in, if it has one; True if there was one."""
        with self._guard:
            future = self._futures.get(check_in_id)
        if future is None:
            return False
        wait_for_futures([future], timeout=timeout)
        return True

    def shutdown(self) -> None:
        """Let running jobs finish (gunicorn's graceful timeout covers them); refuse new ones."""
        with self._guard:
            self._closed = True
            executor = self._executor
        if executor is not None:
            executor.shutdown(wait=True)


def init_app(app: Flask) -> None:
    # Shut down from gunicorn's worker_exit hook (gunicorn.conf.py); at plain interpreter
    # exit concurrent.futures already joins its threads.
    runner = PinJobRunner(app)
    app.extensions["pin_jobs"] = runner


def pin_jobs() -> PinJobRunner:
    """The current app's job runner."""
    return current_app.extensions["pin_jobs"]
