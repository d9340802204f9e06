"""The app under gunicorn on loopback, in a subprocess: for the gunicorn tests and the benchmark.

Independent of the tests' fixtures: it needs only a database file that already holds its data.
"""
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

LOOPBACK = "127.0.0.1"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


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
    settings: dict | None = None,
    extra_args: tuple[str, ...] = (),
    launcher: tuple[str, ...] = ("-m", "gunicorn"),
    start_timeout: float = 20.0,
    stop_timeout: float = 15.0,
) -> Iterator[GunicornServer]:
    """Run the committed gunicorn config on a free loopback port until the block ends.

    The database must already hold its tables and data: the workers only open it. `settings`
    are further app settings (CHECKIN_<KEY> variables: text as is, other values as JSON). Output
    (access and error log) goes to tmp_path/gunicorn.log. `launcher` is what the Python
    interpreter runs: gunicorn's own entry point, or a script that prepares the process and then
    runs gunicorn's (the tests' clock).
    """
    port = free_port()
    instance_path = tmp_path / "instance"
    instance_path.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "CHECKIN_SECRET_KEY": secrets.token_hex(32),
        "CHECKIN_LOCK_BACKEND": "simulated",
        "CHECKIN_SQLALCHEMY_DATABASE_URI": database_uri,
        "CHECKIN_INSTANCE_PATH": str(instance_path),
        "CHECKIN_SESSION_COOKIE_SECURE": "false",
        "CHECKIN_SIMULATED_LOCK_LATENCY": str(lock_latency),
        "CHECKIN_PIN_RETRY_DELAY_SECONDS": "0",
        **{f"CHECKIN_{key}": value if isinstance(value, str) else json.dumps(value) for key, value in (settings or {}).items()},
    }
    command = [
        sys.executable, *launcher, "-c", "deploy/gunicorn.conf.py",
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
