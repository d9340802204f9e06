"""Fixtures: one frozen clock, a fresh app on a database of its own per test (SQLite, or
PostgreSQL when TEST_DATABASE_URL is set: see databases.py), and a guest who walks the steps.

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
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from databases import database_uri_for, drop_databases, on_postgresql, reuse_databases_under
from hypothesis import settings
from jinja2 import BytecodeCache
from lock_doubles import ScriptedLockCloud, use_lock_cloud
from sqlalchemy import select

from checkin import create_app
from checkin.clock import property_today
from checkin.database import upgrade_database
from checkin.extensions import db
from checkin.locks import PasscodeOnLock
from checkin.models import Booking, CheckIn, SimulatedPasscode
from checkin.services.demo import load_demo_data
from guest_driver import (
    CAR_REGISTRATION,
    CONFIRM,
    CONTINUE,
    DETAILS,
    EMAIL,
    FIND_BOOKING,
    FIND_MY_BOOKING,
    FULL_NAME,
    NO_CAR,
    PARKING,
    PHONE,
    REFERENCE,
    REVIEW,
    SURNAME,
    GuestPage,
)
from guest_driver.http import form_data

# The suite runs on its own settings, whatever CHECKIN_* variables the shell running it has, and
# never reads the developer's instance/config.py (a real lock account?).
for _name in [name for name in os.environ if name.startswith("CHECKIN_")]:
    del os.environ[_name]
os.environ["CHECKIN_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="checkin-instance-")

FROZEN_NOW = datetime.fromisoformat(os.environ.get("TESTS_NOW", "2026-11-24T18:00:00+00:00"))

# Generated inputs per property test: 1,000, or 100 in the quick loop (`make test-fast` passes
# --hypothesis-profile=quick).
settings.register_profile("full", max_examples=1000)
settings.register_profile("quick", max_examples=100)
settings.load_profile("full")

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough",
    "LOCK_BACKEND": "simulated",
    "SESSION_COOKIE_SECURE": False,
    "SIMULATED_LOCK_LATENCY": 0.0,
    "PIN_RETRY_DELAY_SECONDS": 0.0,
    # Confirm returns as soon as the PIN job ends; a long wait only spares a loaded machine (the
    # PostgreSQL pass) from "almost ready" where a test expects the room or contact page. Tests
    # of "almost ready" hold the lock double's gate and set a short wait of their own.
    "CONFIRM_WAIT_SECONDS": 15.0,
}


# The slow tests first, so that parallel workers (xdist) are not left waiting on one of them at
# the end of the run: a browser walk, a gunicorn test or 1,000 generated inputs take 10-40 s on a
# busy machine.
def pytest_collection_modifyitems(items):
    def slowness(item) -> int:
        marks = {mark.name for mark in item.iter_markers()}
        if "browser" in marks:
            return 0
        if "gunicorn" in marks or getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            return 1
        return 2

    items.sort(key=slowness)


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


class CompiledTemplates(BytecodeCache):
    """Templates compiled once per test process, not once per app: compiling them again for
    each test's app was the largest single cost in a profile of the suite. Jinja checks each
    template's source against the compiled code it is given."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def make_app(tmp_path, **overrides):
    """An app on this test folder's database, at the newest schema; overrides win over TEST_CONFIG."""
    config = {
        **TEST_CONFIG,
        "LOCK_QUEUE_DIR": str(tmp_path / "lock-queues"),
        **overrides,
    }
    given_database = "SQLALCHEMY_DATABASE_URI" in config
    if not given_database:
        config["SQLALCHEMY_DATABASE_URI"] = database_uri_for(tmp_path)  # at the newest schema
    app = create_app(config)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    if given_database:
        with app.app_context():
            upgrade_database()
    _made_apps.append((Path(tmp_path), app))
    return app


_made_apps: list[tuple[Path, object]] = []  # (folder, app): see _database_connections_closed


@pytest.fixture(autouse=True)
def _postgresql_available(request):
    """Tests marked postgresql run in the suite's PostgreSQL pass (the SQLite pass deselects them).
    Collected without PostgreSQL they are skipped on a developer's machine, and fail under CI,
    where nothing may pass by being skipped."""
    if request.node.get_closest_marker("postgresql") and not on_postgresql():
        if os.environ.get("CI") == "true":
            pytest.fail("this test needs PostgreSQL: run it through scripts/with-postgresql")
        pytest.skip("needs PostgreSQL: run it through scripts/with-postgresql")


@pytest.fixture(scope="session", autouse=True)
def _drop_postgresql_databases():
    yield
    drop_databases()


@pytest.fixture(autouse=True)
def _database_connections_closed(tmp_path):
    """When the test ends (set up first, this runs after its fixtures have stopped their apps
    and servers): every app it made stops its background threads and gives back its database
    connections. A runner's monitor left running queried its database every few seconds, into
    later tests, and pooled connections stayed open until the garbage collector warned about
    them in some later test. On PostgreSQL the test's databases are then emptied for the next."""
    yield
    for made in [made for made in _made_apps if made[0].is_relative_to(tmp_path)]:
        _made_apps.remove(made)
        stop_app(made[1])
    if on_postgresql():
        reuse_databases_under(tmp_path)


@pytest.fixture
def app_config():
    """Per-test config overrides; a test module may override this fixture."""
    return {}


@pytest.fixture
def app(tmp_path, app_config):
    app = make_app(tmp_path, **app_config)
    yield app
    stop_app(app)


def stop_app(app) -> None:
    """Stop the app's background threads (the alert sender a test started, the PIN runner) and
    close its database connections; stopping it again does nothing more."""
    sender = app.extensions.get("owner_alert_sender")
    if sender is not None:
        sender.shutdown()
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


def codes_on(app, lock_id: int) -> list[PasscodeOnLock]:
    """The codes on a simulated lock, read from the simulated account's table."""
    with app.app_context():
        rows = db.session.scalars(select(SimulatedPasscode).where(SimulatedPasscode.lock_ttlock_id == lock_id))
        return [PasscodeOnLock(row.id, row.pin, row.name, row.start_ms, row.end_ms) for row in rows]


def shows_pin(text: str | bytes, pin: str) -> bool:
    """Whether the PIN stands in the text as a number of its own. Its four digits inside a longer
    number (a token, a time stamp, a reference) are not the PIN: a plain `in` failed on those
    about once in fifty runs, the owner's pages holding some 180 such runs of digits."""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return re.search(rf"(?<![0-9]){re.escape(pin)}(?![0-9])", text) is not None


def csrf_token(response) -> str:
    """The CSRF token in a rendered form."""
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', response.data)
    assert match, "page has no CSRF token"
    return match.group(1).decode()


class Guest:
    """A guest walking the check-in pages through the test client.

    The steps are guest_driver's: fields and buttons found by their labels on the rendered page,
    in the page's language, the CSRF token as the form holds it. Responses are returned as they
    come (redirects not followed), for the test to check.
    """

    def __init__(self, client):
        self.client = client

    def post_form(self, path: str, data: dict, get_path: str | None = None, **kwargs):
        """Post raw form data with the CSRF token of the page at get_path (default: path)."""
        page = self.client.get(get_path or path)
        return self.client.post(path, data={"csrf_token": csrf_token(page), **data}, **kwargs)

    def press(self, page: GuestPage, labelled: dict[str, str], button: str, **kwargs):
        """On `page`, fill fields by label and press a button by label (guest_driver's msgids)."""
        action, data = form_data(self.client.get(page.path).get_data(as_text=True), labelled, button)
        return self.client.post(action or page.path, data=data, **kwargs)

    def find_booking(self, reference="40321", surname="Testington", **kwargs):
        return self.press(FIND_BOOKING, {REFERENCE: reference, SURNAME: surname}, FIND_MY_BOOKING, **kwargs)

    def give_details(self, full_name="Alex Testington", phone="+44 20 7946 0123", email="alex@example.com", **kw):
        return self.press(DETAILS, {FULL_NAME: full_name, PHONE: phone, EMAIL: email}, CONTINUE, **kw)

    def give_parking(self, registration=None, **kwargs):
        if registration is None:
            return self.press(PARKING, {}, NO_CAR, **kwargs)
        return self.press(PARKING, {CAR_REGISTRATION: registration}, CONTINUE, **kwargs)

    def confirm(self, **kwargs):
        return self.press(REVIEW, {}, CONFIRM, **kwargs)

    def check_in(self, reference="40321", surname="Testington"):
        """Pages 1 to 4; returns the response to Confirm."""
        assert self.find_booking(reference, surname).status_code == 302
        assert self.give_details().status_code == 302
        assert self.give_parking("AB12 CDE").status_code == 302
        return self.confirm()


@pytest.fixture
def guest(client):
    return Guest(client)


def wait_for_removal(app, reference="40321", timeout=10.0) -> str:
    """Let the background removal of the booking's codes finish; returns its final state."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            state = db.session.scalar(
                db.select(CheckIn.removal_state).join(Booking).where(Booking.reference == reference)
            )
        if state != "pending" or time.monotonic() > deadline:
            return state
        time.sleep(0.02)
