"""Fixtures: a fresh app on a temp-file SQLite database per test, and a guest who walks the steps."""
import os
import re

import pytest

from checkin import create_app
from checkin.database import create_tables
from checkin.extensions import db
from checkin.locks.simulated import SimulatedLockCloud
from checkin.services.demo import load_demo_data
from lock_doubles import ScriptedLockCloud, use_lock_cloud

# The suite runs on its own settings, whatever CHECKIN_* variables the shell running it has.
for _name in [name for name in os.environ if name.startswith("CHECKIN_")]:
    del os.environ[_name]

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough",
    "LOCK_BACKEND": "simulated",
    "SESSION_COOKIE_SECURE": False,
    "SIMULATED_LOCK_LATENCY": 0.0,
    "PIN_RETRY_DELAY_SECONDS": 0.0,
    "CONFIRM_WAIT_SECONDS": 2.0,
}


def make_app(tmp_path, **overrides):
    """An app on its own database file, with tables; overrides win over TEST_CONFIG."""
    config = {
        **TEST_CONFIG,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite'}",
        "LOCK_QUEUE_DIR": str(tmp_path / "lock-queues"),
        **overrides,
    }
    app = create_app(config)
    with app.app_context():
        create_tables()
    return app


@pytest.fixture
def app_config():
    """Per-test config overrides; a test module may override this fixture."""
    return {}


@pytest.fixture
def app(tmp_path, app_config):
    app = make_app(tmp_path, **app_config)
    yield app
    app.extensions["pin_jobs"].shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def demo(app):
    """The demo property: guests 40321 Testington and 40322 Sampleton arrive today."""
    with app.app_context():
        load_demo_data()


@pytest.fixture
def cloud(app):
    """An instant simulated lock cloud whose failures a test can script."""
    cloud = ScriptedLockCloud()
    use_lock_cloud(app, cloud)
    return cloud


def codes_on(app, lock_id: int):
    """The codes on a simulated lock."""
    with app.app_context():
        return SimulatedLockCloud.codes_on_lock(lock_id)


def csrf_token(response) -> str:
    """The CSRF token in a rendered form."""
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', response.data)
    assert match, "page has no CSRF token"
    return match.group(1).decode()


class Guest:
    """A guest walking the check-in pages through the test client, CSRF included."""

    def __init__(self, client):
        self.client = client

    def post_form(self, path: str, data: dict, get_path: str | None = None, **kwargs):
        page = self.client.get(get_path or path)
        return self.client.post(path, data={"csrf_token": csrf_token(page), **data}, **kwargs)

    def find_booking(self, reference="40321", surname="Testington", **kwargs):
        return self.post_form("/", {"reference": reference, "surname": surname}, **kwargs)

    def give_details(self, full_name="Alex Testington", phone="+44 20 7946 0123", email="alex@example.com", **kw):
        return self.post_form("/details", {"full_name": full_name, "phone": phone, "email": email}, **kw)

    def give_parking(self, registration=None, **kwargs):
        data = {"no_car": "I don't have a car"} if registration is None else {"car_registration": registration}
        return self.post_form("/parking", data, **kwargs)

    def confirm(self, **kwargs):
        return self.post_form("/confirm", {}, get_path="/review", **kwargs)

    def check_in(self, reference="40321", surname="Testington"):
        """Pages 1 to 4; returns the response to Confirm."""
        assert self.find_booking(reference, surname).status_code == 302
        assert self.give_details().status_code == 302
        assert self.give_parking("AB12 CDE").status_code == 302
        return self.confirm()


@pytest.fixture
def guest(client):
    return Guest(client)
