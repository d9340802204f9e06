"""gunicorn settings for production: gunicorn -c deploy/gunicorn.conf.py wsgi:app

Each worker owns a thread pool that makes PINs in the background, which decides the settings.
"""
from gunicorn.glogging import Logger

from checkin.security import ROOM_LINK

bind = "127.0.0.1:8000"  # nginx in front; --bind on the command line overrides it
workers = 3
# Threads, so a Confirm that waits up to 2 s for its PIN does not hold a whole worker.
worker_class = "gthread"
threads = 4
# An executor created before the fork would never run jobs in the workers.
preload_app = False
# A recycled worker would kill the PIN job it is running.
max_requests = 0
timeout = 60
# Longer than the slowest lock-cloud call (40 s read timeout), so a job in flight can finish.
graceful_timeout = 90
accesslog = "-"
# gunicorn 25+ would share one control socket per user with every other site on the host.
control_socket_disable = True


class RoomTokenRedactingLogger(Logger):
    """Room links are capabilities: the access log shows /room/<token>, never the token."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: ROOM_LINK.sub("/room/<token>", value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }


logger_class = RoomTokenRedactingLogger


def post_worker_init(worker):
    """Start this worker's PIN runner at once: its monitor takes over jobs whose worker died,
    even before this worker serves a check-in of its own."""
    extensions = getattr(getattr(worker, "wsgi", None), "extensions", {})
    if "pin_jobs" in extensions:
        extensions["pin_jobs"].start()


def worker_exit(server, worker):
    """Let this worker's running PIN jobs and alert sends finish; what is left stays queued in
    the database, for another worker or the maintenance timer."""
    extensions = getattr(getattr(worker, "wsgi", None), "extensions", {})
    if "pin_jobs" in extensions:
        extensions["pin_jobs"].shutdown()
    if "owner_alert_sender" in extensions:
        extensions["owner_alert_sender"].shutdown()
