"""Fixtures: one frozen clock, a fresh app on a temp-file SQLite database per test, and a guest
who walks the steps.

The clock: the whole run travels (time-machine) to FROZEN_NOW, and every test starts again at
exactly that instant. Time still ticks from there (tick=True), so timeouts, heartbeats and
threads behave as in real life, and `clock.shift(seconds)` jumps ahead. Every date a fixture or
a test needs derives from this clock: use the `now` and `today` fixtures (or the app's own
`property_today()`), never a literal date that must lie in the future or the past, and never the
machine's date. Threads see the clock too (the live servers, the PIN runner); a gunicorn
subprocess joins it through `live_server.run_gunicorn`. The browser keeps the machine's clock, so
nothing it decides on its own (cookie expiry, HTTP caching) may depend on the server's date;
the one thing that does, the offline copy's end, runs on the machine's clock (test_offline_room).
TESTS_NOW=<ISO instant> runs the suite at another instant: the suite must pass at any.
"""
import os
import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from hypothesis import settings

from checkin import create_app
from checkin.clock import property_today
from checkin.database import create_tables
from checkin.extensions import db
from checkin.locks.simulated import SimulatedLockCloud
from checkin.services.demo import load_demo_data
from lock_doubles import ScriptedLockCloud, use_lock_cloud

FROZEN_NOW = datetime.fromisoformat(os.environ.get("TESTS_NOW", "2026-11-24T18:00:00+00:00"))

# Generated inputs per property test: 1,000, or 100 in the quick loop (`make test-fast` passes
# --hypothesis-profile=quick).
settings.register_profile("full", max_examples=1000)
settings.register_profile("quick", max_examples=100)
settings.load_profile("full")

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough",
    "SESSION_COOKIE_SECURE": False,
    "SIMULATED_LOCK_LATENCY": 0.0,
    "PIN_RETRY_DELAY_SECONDS": 0.0,
    "CONFIRM_WAIT_SECONDS": 2.0,
}


@pytest.fixture(scope="session", autouse=True)
def _suite_clock():
    """The run's travel to FROZEN_NOW; session- and module-wide fixtures already see it."""
    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def clock(_suite_clock):
    """Every test starts at FROZEN_NOW, ticking; `clock.shift(seconds)` moves it on, and
    `clock.move_to(now, tick=False)` stops it where a test needs exact steps."""
    _suite_clock.move_to(FROZEN_NOW, tick=True)
    return _suite_clock


@pytest.fixture
def now(clock) -> datetime:
    """The instant each test starts at (UTC)."""
    return FROZEN_NOW


@pytest.fixture
def today(app, clock) -> date:
    """Today at the property, as the app sees it when the test starts."""
    with app.app_context():
        return property_today()


def day(today: date, days_ahead: int) -> str:
    """The date `days_ahead` days after `today` (the fixture), as ISO text for forms and CSV files."""
    return (today + timedelta(days=days_ahead)).isoformat()


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
