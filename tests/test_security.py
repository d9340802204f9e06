"""Anti-automation on the lookup, headers, cookies, the secret key, and what reaches the logs."""
import logging
import re

import pytest
from conftest import Guest, csrf_token

from checkin import create_app
from checkin.config import InvalidSetting
from checkin.extensions import db
from checkin.models import CheckIn
from checkin.security import redact_room_links


def lookup(client, reference, surname, ip="203.0.113.7"):
    """One lookup from a given client address."""
    page = client.get("/")
    return client.post(
        "/", data={"csrf_token": csrf_token(page), "reference": reference, "surname": surname},
        environ_base={"REMOTE_ADDR": ip},
    )


def comparable(response) -> bytes:
    """A page without what legitimately differs between two requests: the token and the echoed input."""
    body = re.sub(rb'value="[^"]*"', b'value=""', response.data)
    return body


def test_wrong_reference_and_wrong_surname_get_the_same_answer(client, demo):
    wrong_surname = lookup(client, "40321", "Smith")
    wrong_reference = lookup(client, "40399", "Smith")
    assert wrong_surname.status_code == wrong_reference.status_code == 200
    assert comparable(wrong_surname) == comparable(wrong_reference)


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(tmp_path):
    from conftest import make_app

    from checkin.services.demo import load_demo_data

    app = make_app(tmp_path, PROXY_COUNT=1, LOOKUP_LIMIT_PER_IP_MINUTE=1)
    with app.app_context():
        load_demo_data()
    client = app.test_client()

    def via_proxy(address):
        page = client.get("/")
        return client.post("/", data={"csrf_token": csrf_token(page), "reference": "99999", "surname": "X"},
                           headers={"X-Forwarded-For": address})

    assert via_proxy("203.0.113.1").status_code == 200
    assert via_proxy("203.0.113.1").status_code == 429
    assert via_proxy("203.0.113.2").status_code == 200
    app.extensions["pin_jobs"].shutdown()


def test_guest_try_again_is_limited(app, guest, demo, cloud):
    from checkin.locks import LockBusy

    cloud.failures[("add", 1001)] = [LockBusy("cloud unreachable")] * 20
    guest.find_booking()
    guest.give_details()
    guest.give_parking(None)
    app.extensions["pin_jobs"].wait(1, 5)
    guest.confirm()
    for _ in range(5):
        guest.post_form("/retry", {}, get_path="/contact")
        app.extensions["pin_jobs"].wait(1, 5)
    assert len([call for call in cloud.calls if call[0] == "add"]) == 2 * (1 + 3)


def test_headers_on_every_guest_page(app, guest, demo):
    pages = ["/", "/nowhere", "/contact"]
    guest.find_booking()
    pages += ["/details"]
    guest.give_details()
    pages += ["/parking"]
    guest.give_parking(None)
    pages += ["/review"]
    app.extensions["pin_jobs"].wait(1, 5)
    room = guest.confirm().headers["Location"]
    for path in pages + [room]:
        response = guest.client.get(path, base_url="https://checkin.example.com")
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, path
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        expected_referrer = "no-referrer" if path == room else "same-origin"
        assert response.headers["Referrer-Policy"] == expected_referrer, path
    assert "Strict-Transport-Security" not in guest.client.get("/").headers  # plain HTTP: no HSTS


def test_no_inline_script_in_any_page(app, guest, demo):
    guest.find_booking()
    guest.give_details()
    guest.give_parking(None)
    for path in ["/", "/details", "/parking", "/review"]:
        assert not re.search(rb"<script(?![^>]*\bsrc=)", guest.client.get(path).data)


def test_robots_txt_disallows_everything(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert b"Disallow: /" in response.data


def test_session_cookie_is_secure_httponly_and_lax(tmp_path):
    from conftest import make_app

    app = make_app(tmp_path, SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    page = client.get("/", base_url="https://checkin.example.com")
    cookie = page.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.extensions["pin_jobs"].shutdown()


@pytest.mark.parametrize("key", ["", "dev", "short", "change-me"])
def test_refuses_to_start_without_a_real_secret_key(key, tmp_path):
    with pytest.raises(InvalidSetting, match="Setting SECRET_KEY .*too short or a placeholder"):
        create_app({"SECRET_KEY": key, "LOCK_BACKEND": "simulated", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})


def test_expired_form_lets_the_guest_carry_on_where_they_were(guest, demo):
    guest.find_booking()
    response = guest.client.post("/details?from=review", data={"full_name": "X", "csrf_token": "stale"})
    assert response.status_code == 400
    assert b'href="/details?from=review"' in response.data
    response = guest.client.post("/confirm", data={"csrf_token": "stale"})
    assert b'href="/review"' in response.data


def test_no_pin_room_token_or_secret_in_any_log_line(app, guest, demo, caplog):
    with caplog.at_level(logging.DEBUG):
        room = guest.check_in().headers["Location"]
        guest.client.get(room)
        logging.getLogger("werkzeug").info('127.0.0.1 - - "GET %s HTTP/1.1" 200 -', room)
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
    token = room.rsplit("/", 1)[1]
    assert caplog.records
    for record in caplog.records:
        line = record.getMessage()
        for secret in (check_in.pin, token, app.config["SECRET_KEY"]):
            assert secret not in line, line


def test_room_link_filter_redacts_request_lines():
    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, '"GET /room/%s?x=1 HTTP/1.1"', ("abc_DEF-123",), None)
    redact_room_links(record)
    assert record.getMessage() == '"GET /room/<token>?x=1 HTTP/1.1"'


def test_another_browser_with_the_reference_cannot_change_a_confirmed_guests_details(app, guest, demo):
    guest.check_in()
    stranger = Guest(app.test_client())
    assert b"already checked in" in stranger.find_booking().data
    assert stranger.client.get("/details").headers["Location"] == "/"
