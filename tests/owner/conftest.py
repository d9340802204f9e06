"""The owner's fixtures: an account, a signed-in session, a guest who has checked in."""
from functools import partial

import pytest
from conftest import Guest, codes_on, csrf_token, wait_for_removal  # noqa: F401  (for the owner's tests)
from werkzeug.security import generate_password_hash

from checkin.extensions import db
from checkin.models import Booking, CheckIn
from checkin.services.owner_accounts import save_owner

OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "correct horse battery"
FRONT_DOOR, ROOM_1 = 1001, 2001


class Owner:
    """The owner using the dashboard through the test client, CSRF included."""

    def __init__(self, client):
        self.client = client

    def token(self, path="/owner/login") -> str:
        return csrf_token(self.client.get(path))

    def log_in(self, email=OWNER_EMAIL, password=OWNER_PASSWORD, ip="203.0.113.9", **kwargs):
        return self.client.post(
            "/owner/login", data={"csrf_token": self.token(), "email": email, "password": password},
            environ_base={"REMOTE_ADDR": ip}, **kwargs,
        )

    def post(self, path: str, data: dict | None = None, token_from: str = "/owner/", **kwargs):
        """A POST with a CSRF token taken from a page that carries one (every owner page does)."""
        return self.client.post(path, data={"csrf_token": self.token(token_from), **(data or {})}, **kwargs)


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """scrypt at a low cost: production's costs 0.1 s of CPU per hash, 20 s over these tests.
    Checking reads the cost from the stored hash, so nothing else changes."""
    monkeypatch.setattr(
        "checkin.services.owner_accounts.generate_password_hash",
        partial(generate_password_hash, method="scrypt:1024:8:1"),
    )


@pytest.fixture
def owner_account(app):
    with app.app_context():
        save_owner(OWNER_EMAIL, OWNER_PASSWORD)


@pytest.fixture
def owner(client, owner_account):
    """Signed in."""
    helper = Owner(client)
    assert helper.log_in().status_code == 302
    return helper


@pytest.fixture
def checked_in(app, demo, cloud):
    """Guest 40321 checked in on another browser, with a ready PIN; returns the PIN."""
    Guest(app.test_client()).check_in()
    check_in = wait_for_pin(app)  # its last step, the audit event, is written after "ready"
    assert check_in.pin_state == "ready"
    return check_in.pin


def pins_on(app, lock_id) -> list[str]:
    """The PINs on a simulated lock."""
    return sorted(code.pin for code in codes_on(app, lock_id))


def wait_for_pin(app, reference="40321", timeout=10.0) -> CheckIn:
    """Let the booking's PIN job finish in this process, then read its check-in."""
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn).join(Booking).where(Booking.reference == reference))
        app.extensions["pin_jobs"].wait(check_in.id, timeout=timeout)
        db.session.refresh(check_in)
        db.session.expunge(check_in)
        return check_in
