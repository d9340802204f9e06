"""The app served in a thread on loopback, and the demo database the gunicorn tests serve.

serve_app stops its server by itself, within a bounded time. gunicorn in a subprocess is
run_gunicorn in benchmarks/gunicorn_server.py, shared with the benchmark; the tests start it
through run_gunicorn here, on their frozen clock.
"""
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

# tests/conftest.py is imported as the module `conftest` (pytest puts tests/ on sys.path).
from conftest import make_app
from databases import database_uri_for
from flask import Flask
from werkzeug.serving import make_server

from benchmarks import gunicorn_server
from benchmarks.gunicorn_server import LOOPBACK
from checkin.extensions import db
from checkin.services.demo import load_demo_data

SERVER_STOP_SECONDS = 10.0
ON_THE_TESTS_CLOCK = Path(__file__).with_name("gunicorn_on_clock.py")


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


def prepare_demo_database(tmp_path: Path) -> tuple[str, Flask]:
    """Create a database with the demo property, from this process; return its URI and an app on it."""
    database_uri = database_uri_for(tmp_path)
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=database_uri)
    with app.app_context():
        load_demo_data()
        db.engine.dispose()  # the server processes own the file from here on
    return database_uri, app


def run_gunicorn(tmp_path: Path, database_uri: str, **kwargs):
    """benchmarks.gunicorn_server.run_gunicorn, its clock set to this test's clock as it starts."""
    now = datetime.now(timezone.utc)  # the frozen clock (conftest), not the machine's
    launcher = (str(ON_THE_TESTS_CLOCK), now.isoformat())
    return gunicorn_server.run_gunicorn(tmp_path, database_uri, launcher=launcher, **kwargs)
