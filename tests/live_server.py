"""Real servers on loopback for end-to-end tests: the app in a thread, or gunicorn in a subprocess.

Both are context managers that stop their server by themselves, within a bounded time.
"""
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from flask import Flask
from werkzeug.serving import make_server

# tests/conftest.py is imported as the module `conftest` (pytest puts tests/ on sys.path).
from conftest import make_app

from checkin.extensions import db
from checkin.services.demo import load_demo_data

LOOPBACK = "127.0.0.1"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SERVER_STOP_SECONDS = 10.0


@contextmanager
def serve_app(app: Flask) -> Iterator[str]:
    """Serve the app on a free loopback port in a background thread; yield its base URL."""
    server = make_server(LOOPBACK, 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="live-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=SERVER_STOP_SECONDS)
        server.server_close()
        assert not thread.is_alive(), "the live server thread did not stop"


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def prepare_demo_database(tmp_path: Path) -> tuple[str, Flask]:
    """Create a database file with the demo property, from this process; return its URI and an app on it."""
    database_uri = f"sqlite:///{tmp_path / 'gunicorn.sqlite'}"
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=database_uri)
    with app.app_context():
        load_demo_data()
        db.engine.dispose()  # the server processes own the file from here on
    return database_uri, app


@dataclass(frozen=True)
class GunicornServer:
    base_url: str
    pid: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def run_gunicorn(
    tmp_path: Path,
    database_uri: str,
    *,
    lock_latency: float = 0.3,
    extra_args: tuple[str, ...] = (),
    start_timeout: float = 20.0,
    stop_timeout: float = 15.0,
) -> Iterator[GunicornServer]:
    """Run the committed gunicorn config on a free loopback port until the block ends.

    The database must already hold its tables and data (see prepare_demo_database): the
    workers only open it. Output (access and error log) goes to tmp_path/gunicorn.log.
    """
    port = free_port()
    instance_path = tmp_path / "instance"
    instance_path.mkdir(exist_ok=True)
    env = {
        **os.environ,
        # Values are parsed as JSON by from_prefixed_env; the "k-" prefix keeps the key a string.
        "CHECKIN_SECRET_KEY": "k-" + secrets.token_hex(32),
        "CHECKIN_SQLALCHEMY_DATABASE_URI": database_uri,
        "CHECKIN_INSTANCE_PATH": str(instance_path),
        "CHECKIN_SESSION_COOKIE_SECURE": "false",
        "CHECKIN_SIMULATED_LOCK_LATENCY": str(lock_latency),
        "CHECKIN_PIN_RETRY_DELAY_SECONDS": "0",
    }
    command = [
        sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
        "--bind", f"{LOOPBACK}:{port}", *extra_args, "wsgi:app",
    ]
    base_url = f"http://{LOOPBACK}:{port}"
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log_file:
        # Its own session, so a kill after the time bound reaches the workers too.
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            server = GunicornServer(base_url, process.pid, log_path)
            _wait_until_answering(server, process, start_timeout)
            yield server
        finally:
            _stop(process, stop_timeout)


def _wait_until_answering(server: GunicornServer, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.log()}")
        try:
            # A worker takes the first connection before it has loaded the app: allow for that.
            with requests.get(server.base_url + "/", timeout=5) as response:
                if response.status_code == 200:
                    return
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{server.log()}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM (graceful: running PIN jobs finish), then SIGKILL to the whole group after the bound."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The master is still alive (not reaped), so its process group id is still ours.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
