"""The owner under attack: a stranger cannot lock the owner out, sign-in counting is one atomic
step, signing out ends every session (copied cookies too), the owner clears a booking's
wrong-surname tries, and the CSV import alone may send up to 10 MB."""
import base64
import io
import threading

import pytest
import time_machine
from conftest import Guest, csrf_token
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from checkin.extensions import db
from checkin.models import AuditEvent, Booking
from checkin.services import owner_accounts
from checkin.services.rate_limits import Limit

from .conftest import OWNER_EMAIL, Owner

FROZEN = "2026-11-24T18:00:00+00:00"  # a whole hour: the limits' windows start at known moments
MB = 1024 * 1024


def test_a_stranger_cannot_lock_the_owner_out(client, owner_account):
    helper = Owner(client)
    with time_machine.travel(FROZEN, tick=False):
        for stranger in ("198.51.100.1", "2001:db8:7:8::1"):
            for n in range(5):
                assert helper.log_in(password=f"wrong password {n}", ip=stranger).status_code == 200
            refused = helper.log_in(password="another guess", ip=stranger)
            assert refused.status_code == 429 and b"Too many tries" in refused.data
        assert helper.log_in(ip="203.0.113.9").status_code == 302


def test_thirty_sign_ins_at_once_are_checked_ten_times_at_a_limit_of_ten(app, owner_account, monkeypatch):
    monkeypatch.setattr(owner_accounts, "FAILURES_ON_ACCOUNT_FROM_CLIENT", Limit("owner-login-account-client", 10, 900))
    with time_machine.travel(FROZEN, tick=False):
        browsers = [app.test_client() for _ in range(30)]
        tokens = [csrf_token(browser.get("/owner/login")) for browser in browsers]
        start = threading.Barrier(len(browsers))
        statuses = []

        def sign_in(browser, token):
            start.wait()
            response = browser.post("/owner/login", data={"csrf_token": token, "email": OWNER_EMAIL,
                                                          "password": "a wrong password"},
                                    environ_base={"REMOTE_ADDR": "198.51.100.1"})
            statuses.append(response.status_code)

        threads = [threading.Thread(target=sign_in, args=pair) for pair in zip(browsers, tokens)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(statuses) == [200] * 10 + [429] * 20


def test_unlock_owner_lets_the_owner_try_again_at_once(app, client, owner_account):
    helper = Owner(client)
    with time_machine.travel(FROZEN, tick=False):
        for n in range(5):
            helper.log_in(password=f"wrong password {n}")
        assert helper.log_in().status_code == 429

        result = app.test_cli_runner().invoke(args=["unlock-owner", OWNER_EMAIL.upper()])

        assert result.exit_code == 0, result.output
        assert "Cleared the failed sign-ins of owner@example.com" in result.output
        assert helper.log_in().status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.detail).where(AuditEvent.action == "owner_unlocked")) == OWNER_EMAIL
    unknown = app.test_cli_runner().invoke(args=["unlock-owner", "nobody@example.com"])
    assert unknown.exit_code != 0 and "no owner account for nobody@example.com" in unknown.output


def test_signing_out_ends_every_session_and_copied_cookies(app, client, owner):
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value)
    laptop = Owner(app.test_client())
    assert laptop.log_in().status_code == 302
    for browser in (client, copied, laptop.client):
        assert browser.get("/owner/").status_code == 200

    assert owner.post("/owner/logout").headers["Location"] == "/owner/login"

    for browser in (client, copied, laptop.client):
        response = browser.get("/owner/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/owner/login")
    assert Owner(app.test_client()).log_in().status_code == 302  # signing in again works


def test_a_new_password_ends_a_copied_session(app, client, owner):
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value)
    with app.app_context():
        owner_accounts.save_owner(OWNER_EMAIL, "an entirely new password", reset=True)
    assert copied.get("/owner/").status_code == 302


def test_the_dashboard_has_sign_out_everywhere(client, owner, demo):
    page = client.get("/owner/").data.decode()
    form = page[page.index("Signed in elsewhere?"):]
    assert 'action="/owner/logout"' in form and "Sign out everywhere" in form


@pytest.mark.parametrize("app_config", [{"LOOKUP_LIMIT_PER_IP_MINUTE": 100, "LOOKUP_LIMIT_PER_IP_HOUR": 100}])
def test_the_owner_sees_and_clears_a_bookings_wrong_surname_tries(app, client, owner, demo):
    stranger = Guest(app.test_client())
    for n in range(10):
        assert stranger.find_booking(surname=f"Wrong{n}", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200
    assert stranger.find_booking(environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 429

    page = client.get("/owner/bookings/40321").data.decode()
    assert "Wrong surnames tried today" in page and "198.51.100.7 (10)" in page
    assert 'action="/owner/bookings/40321/clear-tries"' in page

    cleared = owner.post("/owner/bookings/40321/clear-tries", token_from="/owner/bookings/40321")

    assert cleared.headers["Location"] == "/owner/bookings/40321"
    assert "Wrong surnames tried today" not in client.get("/owner/bookings/40321").data.decode()
    assert stranger.find_booking(environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 302
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "lookup_tries_cleared"))
        assert (event.actor, event.booking_reference) == (OWNER_EMAIL, "40321")
        assert event.detail == "10 wrong surname(s) from 1 connection(s)"


def test_the_csv_import_takes_up_to_10_mb_and_refuses_more(app, client, owner, demo):
    header = "booking_ref,surname,room,check_in,check_out\n"

    def upload(size):
        csv = header + "\n" * size  # blank lines: large, and quick to read
        token = csrf_token(client.get("/owner/bookings/import"))
        # Encoded here, in memory: the test client would spool a large body to a file it never closes.
        boundary, body = encode_multipart({"csrf_token": token, "csv_file": FileStorage(io.BytesIO(csv.encode()), "b.csv")})
        return client.post("/owner/bookings/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")

    with app.app_context():
        bookings_before = db.session.scalar(db.select(db.func.count()).select_from(Booking))

    assert upload(2 * MB).status_code == 200  # read, and answered with what is wrong with it
    too_large = upload(11 * MB)
    apply = client.post("/owner/bookings/import/apply", data={
        "csrf_token": csrf_token(client.get("/owner/bookings/import")),
        "file_data": base64.b64encode((header + "\n" * (2 * MB)).encode()).decode(), "file_name": "b.csv",
        "file_format": "checkin", "date_order": "", "fingerprint": "not the preview's"})

    assert too_large.status_code == 413 and b"Too much to send" in too_large.data
    assert apply.status_code == 200  # a 2 MB preview posted back is read (and refused: it changed)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Booking)) == bookings_before


def test_other_owner_forms_take_at_most_1_mb(client, owner, demo):
    token = csrf_token(client.get("/owner/bookings/new"))
    response = client.post("/owner/bookings/new", data={"csrf_token": token, "surname": "x" * (2 * MB)})
    assert response.status_code == 413
