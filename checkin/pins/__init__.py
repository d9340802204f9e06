"""Door PINs: the background jobs that put a guest's PIN on the locks, and take codes off them.

Everything about making and removing codes lives here: claims (who runs a job), the runner (the
per-process thread pool and its monitor), the job and its placement on the locks, removal and the
sweep, and the lock cloud client's wiring. Services call in; this package calls the lock clients
and announces what happened (events.py) without knowing who listens.
"""
from flask import Flask

from .backup import BACKUP_CODE_FIRST_USE
from .claims import (
    resume_pin_jobs,
    start_pin_generation,
    take_over_abandoned_jobs,
    take_over_if_abandoned,
)
from .cloud import lock_cloud
from .job import run_pin_job
from .moves import codes_misplaced, move_codes_in_background, move_misplaced_codes
from .plan import current_locks
from .removal import queue_code_removal, remove_lock_codes, revoke_pin, sweep_codes
from .runner import PinJobRunner, pin_jobs

__all__ = [
    "BACKUP_CODE_FIRST_USE",
    "codes_misplaced",
    "current_locks",
    "lock_cloud",
    "move_codes_in_background",
    "move_misplaced_codes",
    "pin_jobs",
    "queue_code_removal",
    "remove_lock_codes",
    "resume_pin_jobs",
    "revoke_pin",
    "start_pin_generation",
    "sweep_codes",
    "take_over_abandoned_jobs",
    "take_over_if_abandoned",
]


def init_app(app: Flask) -> None:
    """Give the app its PIN job runner. Shut down from gunicorn's worker_exit hook
    (deploy/gunicorn.conf.py); at plain interpreter exit concurrent.futures joins its threads."""
    app.extensions["pin_jobs"] = PinJobRunner(app, job=run_pin_job, on_tick=resume_pin_jobs)
