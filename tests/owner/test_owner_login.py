"""Every owner page needs a signed-in owner; sign-in is throttled and starts a fresh session."""
import re

import pytest
import time_machine
from conftest import csrf_token

from checkin.extensions import db
from checkin.models import AuditEvent
from checkin.services.owner_accounts import save_owner

from .conftest import OWNER_EMAIL, OWNER_PASSWORD, Owner

SAMPLE_VALUES = {"reference": "40321", "room_id": "1", "lock_id": "1"}


def owner_routes(app):
    """(method, path) for every owner route but the sign-in page, with sample URL values."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("owner.") or rule.endpoint == "owner.login":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE_VALUES[m.group(1)], rule.rule)
        routes += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(set(routes))


def test_every_owner_route_sends_a_stranger_to_sign_in(app, client, demo):
    routes = owner_routes(app)
    assert len(routes) >= 20
    token = csrf_token(client.get("/owner/login"))
    for method, path in routes:
        response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/owner/login"), (method, path)
        assert response.headers["Cache-Control"] == "no-store"


def test_owner_without_a_slash_goes_to_sign_in_and_back_after(client, owner_account):
    response = client.get("/owner")
    assert response.status_code == 302 and response.headers["Location"].startswith("/owner/login")
    page = client.get("/owner/bookings?q=Test")
    assert page.headers["Location"] == "/owner/login?next=/owner/bookings?q%3DTest"
    signed_in = Owner(client).log_in(query_string={"next": "/owner/bookings?q=Test"})
    assert signed_in.headers["Location"] == "/owner/bookings?q=Test"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/owner/", "/room/abc", "/owner/../x"])
def test_sign_in_never_sends_the_owner_off_site(client, owner_account, target):
    response = Owner(client).log_in(query_string={"next": target})
    assert response.headers["Location"] in ("/owner/", "/owner/../x") and "evil" not in response.headers["Location"]


def test_signing_in_shows_the_dashboard_and_starts_a_fresh_session(app, client, demo, owner_account):
    guest_page = client.get("/")
    assert guest_page.status_code == 200
    with client.session_transaction() as session:
        session["check_in"] = "a-guest-session"
    response = Owner(client).log_in()
    assert response.status_code == 302 and response.headers["Location"] == "/owner/"
    with client.session_transaction() as session:
        assert "check_in" not in session  # cleared on sign-in
        assert isinstance(session["owner_id"], int)
    dashboard = client.get("/owner/")
    assert dashboard.status_code == 200
    assert b"Arriving today" in dashboard.data and b"Testington" in dashboard.data
    assert dashboard.headers["Cache-Control"] == "no-store"
    assert b"owner.css" in dashboard.data and b"style.css" in dashboard.data
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.action)) == "owner_login"


def test_wrong_password_and_unknown_email_get_the_same_answer(client, owner_account):
    wrong_password = Owner(client).log_in(password="not the password at all")
    unknown = Owner(client).log_in(email="nobody@example.com")
    assert wrong_password.status_code == unknown.status_code == 200
    assert b"do not match an owner account" in wrong_password.data and b"do not match an owner account" in unknown.data
    with client.session_transaction() as session:
        assert "owner_id" not in session


def test_logout_is_a_post_and_ends_the_session(client, owner):
    assert client.get("/owner/logout").status_code == 405
    response = owner.post("/owner/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/owner/login"
    assert client.get("/owner/").status_code == 302


def test_logout_without_the_csrf_token_is_refused(client, owner):
    assert client.post("/owner/logout").status_code == 400
    assert client.get("/owner/").status_code == 200


def test_a_new_password_signs_out_older_sessions(app, client, owner):
    with app.app_context():
        save_owner(OWNER_EMAIL, "an entirely new password", reset=True)
    assert client.get("/owner/").status_code == 302


def test_five_wrong_passwords_pause_that_client_on_that_account(client, owner_account, now):
    helper = Owner(client)
    with time_machine.travel(now, tick=False) as clock:
        for n in range(5):
            assert helper.log_in(password=f"wrong password {n}", ip="198.51.100.7").status_code == 200
        # Even the right password, from that client, waits now; from another it does not.
        paused = helper.log_in(ip="198.51.100.7")
        assert paused.status_code == 429
        assert int(paused.headers["Retry-After"]) == 15 * 60
        assert b"Too many tries" in paused.data and b"15 minutes" in paused.data
        assert helper.log_in(ip="192.0.2.50").status_code == 302
        clock.shift(15 * 60)
        assert helper.log_in(ip="198.51.100.7").status_code == 302


def test_twenty_failures_from_one_address_pause_it_for_every_account(app, client, owner_account, now):
    with app.app_context():
        save_owner("partner@example.com", OWNER_PASSWORD)
    helper = Owner(client)
    with time_machine.travel(now, tick=False) as clock:
        for n in range(20):
            helper.log_in(email=f"guess{n}@example.com", ip="203.0.113.66")
        assert helper.log_in(email="partner@example.com", ip="203.0.113.66").status_code == 429
        assert helper.log_in(email="partner@example.com", ip="203.0.113.67").status_code == 302
        clock.shift(60 * 60 + 1)
        assert Owner(client).log_in(ip="203.0.113.66").status_code == 302


def test_a_successful_sign_in_clears_the_account_failures(client, owner_account):
    helper = Owner(client)
    for n in range(4):
        helper.log_in(password=f"wrong password {n}")
    assert helper.log_in().status_code == 302
    for n in range(4):
        assert helper.log_in(password=f"wrong password {n}").status_code == 200
    assert helper.log_in().status_code == 302


def test_a_guest_session_is_not_an_owner_session(client, demo, owner_account):
    with client.session_transaction() as session:
        session["check_in"] = "whatever"
        session["owner_id"] = "1"  # not an int, and no marker
    assert client.get("/owner/").status_code == 302
