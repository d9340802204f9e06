"""Confirm in each PIN state, the status endpoint the wait page polls, and the room link."""
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from conftest import Guest, csrf_token, shows_pin

from checkin.extensions import db
from checkin.locks import LockBusy
from checkin.models import Booking, CheckIn, LockCode, PinState

ROOM_PATH = re.compile(r"^/room/[A-Za-z0-9_-]{43}$")


@pytest.fixture
def app_config():
    return {"CONFIRM_WAIT_SECONDS": 0.3}


def answer_pages(guest):
    guest.find_booking()
    guest.give_details()
    guest.give_parking(None)


def test_confirm_with_pin_ready_goes_straight_to_the_room(app, guest, demo, cloud):
    answer_pages(guest)
    app.extensions["pin_jobs"].wait(1, timeout=5)
    response = guest.confirm()
    assert response.status_code == 302
    assert ROOM_PATH.match(response.headers["Location"])
    room = guest.client.get(response.headers["Location"])
    pin = re.search(rb'<p class="pin"[^>]*>([0-9]{4})</p>', room.data).group(1).decode()
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        assert check_in.confirmed_at is not None
        assert pin == check_in.pin
    assert b"Front door and Room 1 door" in room.data
    assert b"Valid from" in room.data and b"15:00" in room.data and b"11:00" in room.data
    assert b"Example-Guest" in room.data and b"Up the stairs" in room.data


def test_confirm_waits_for_a_pin_that_is_nearly_ready(app, guest, demo, cloud):
    cloud.gate.clear()
    app.config["CONFIRM_WAIT_SECONDS"] = 5
    answer_pages(guest)
    threading.Timer(0.2, cloud.gate.set).start()
    response = guest.confirm()
    assert ROOM_PATH.match(response.headers["Location"])


def test_confirm_with_pin_pending_shows_almost_ready_then_moves_on(app, guest, demo, cloud):
    cloud.gate.clear()
    answer_pages(guest)
    response = guest.confirm()
    assert response.headers["Location"] == "/almost-ready"
    page = guest.client.get("/almost-ready")
    assert b"Your door code is almost ready" in page.data
    assert b'http-equiv="refresh"' in page.data  # works without JavaScript
    status_url = re.search(rb'data-status-url="([^"]+)"', page.data).group(1).decode()
    assert guest.client.get(status_url).json == {"pin_state": "pending", "next": None}
    cloud.gate.set()
    app.extensions["pin_jobs"].wait(1, timeout=5)
    assert guest.client.get(status_url).json == {"pin_state": "ready", "next": "/almost-ready"}
    assert ROOM_PATH.match(guest.client.get("/almost-ready").headers["Location"])


def test_confirm_with_pin_failed_shows_the_contact_page(app, guest, demo, cloud):
    cloud.failures[("add", 1001)] = [LockBusy("Gateway 7 unreachable, errcode 90000")] * 2
    answer_pages(guest)
    app.extensions["pin_jobs"].wait(1, timeout=5)
    response = guest.confirm()
    assert response.headers["Location"] == "/contact"
    page = guest.client.get("/contact").data
    assert b"40321" in page
    assert b'href="tel:+442079460000"' in page
    assert b"mailto:stay@example.com" in page
    assert b"https://wa.me/442079460000" in page
    assert b"errcode" not in page and b"Gateway 7" not in page


def test_guest_can_try_again_from_the_contact_page(app, guest, demo, cloud):
    cloud.failures[("add", 1001)] = [LockBusy("cloud unreachable")] * 2
    answer_pages(guest)
    app.extensions["pin_jobs"].wait(1, timeout=5)
    guest.confirm()
    response = guest.post_form("/retry", {}, get_path="/contact")
    app.extensions["pin_jobs"].wait(1, timeout=5)
    assert response.status_code == 302
    assert ROOM_PATH.match(guest.client.get("/almost-ready").headers["Location"])


def test_confirm_posted_twice_at_once_records_one_stay_and_one_link(app, guest, demo, cloud):
    """A double tap and a second tab: both posts come from review pages already loaded."""
    answer_pages(guest)
    app.extensions["pin_jobs"].wait(1, timeout=5)
    token = csrf_token(guest.client.get("/review"))
    second_tab = app.test_client()
    second_tab.set_cookie("session", guest.client.get_cookie("session").value)
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda c: c.post("/confirm", data={"csrf_token": token}), [guest.client, second_tab]))
    links = {response.headers["Location"] for response in responses}
    assert len(links) == 1 and ROOM_PATH.match(links.pop())
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(LockCode)) == 2
    assert app.test_client().post("/confirm").status_code == 400  # no CSRF token: refused


def test_answers_cannot_change_after_confirm(app, guest, demo, cloud):
    answer_pages(guest)
    app.extensions["pin_jobs"].wait(1, timeout=5)
    room = guest.confirm().headers["Location"]
    assert guest.client.get("/details").headers["Location"] == room
    assert guest.find_booking().headers["Location"] == "/details"  # same browser: carried on
    assert guest.client.get("/details").headers["Location"] == room


def test_another_browser_cannot_see_a_confirmed_stay(app, guest, demo, cloud):
    answer_pages(guest)
    app.extensions["pin_jobs"].wait(1, timeout=5)
    guest.confirm()
    stranger = Guest(app.test_client())
    page = stranger.find_booking()
    assert page.status_code == 200
    assert b"already checked in" in page.data
    with app.app_context():
        pin = db.session.scalar(db.select(CheckIn.pin))
    assert not shows_pin(page.data, pin)


def test_status_is_private_to_the_guests_session(app, guest, demo, cloud):
    answer_pages(guest)
    with app.app_context():
        public_id = db.session.scalar(db.select(CheckIn.public_id))
    assert app.test_client().get(f"/api/check-ins/{public_id}/status").status_code == 404


def test_room_link_is_random_unguessable_and_not_in_the_session(app, guest, demo, cloud):
    answer_pages(guest)
    app.extensions["pin_jobs"].wait(1, timeout=5)
    link = guest.confirm().headers["Location"]
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        assert token not in (check_in.room_token_hash, check_in.room_token_salt)
    cookie = guest.client.get_cookie("session").value
    assert token not in cookie
    assert app.test_client().get("/room/" + "A" * 43).status_code == 404
    response = app.test_client().get(link)  # works in any browser: the link is the key
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_room_link_dies_after_check_out(app, guest, demo, cloud):
    answer_pages(guest)
    app.extensions["pin_jobs"].wait(1, timeout=5)
    link = guest.confirm().headers["Location"]
    with app.app_context():
        checkout_day = db.session.get(Booking, 1).check_out_date
    with time_machine.travel(f"{checkout_day.isoformat()}T11:00:00+00:00"):
        response = guest.client.get(link)
    assert response.status_code == 410
    assert b"This link has expired" in response.data


def test_whole_flow_keeps_pin_state_in_the_database(app, guest, demo, cloud):
    """The row, not the future, is the truth: a fresh read of the row shows the whole journey."""
    guest.check_in()
    app.extensions["pin_jobs"].wait(1, timeout=10)  # on a loaded machine Confirm may not have waited long enough
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        assert check_in.pin_state == PinState.READY
        assert check_in.has_car and check_in.car_registration == "AB12 CDE"
        assert [code.lock.name for code in check_in.lock_codes] == ["Front door", "Room 1 door"]


def test_the_pin_is_on_the_locks_before_confirm_and_confirm_adds_no_lock_call(app, guest, demo, cloud):
    """The design: page 2 starts the PIN, so by Confirm the lock work is done."""
    answer_pages(guest)
    app.extensions["pin_jobs"].wait(1, timeout=5)
    assert [call[0] for call in cloud.calls] == ["add", "add"]
    assert ROOM_PATH.match(guest.confirm().headers["Location"])
    assert [call[0] for call in cloud.calls] == ["add", "add"]


def test_a_guest_on_the_contact_page_alerts_the_owner_once(app, guest, demo, cloud):
    from checkin.models import AlertOutbox

    cloud.failures[("add", 1001)] = [LockBusy("cloud unreachable")] * 2
    answer_pages(guest)
    app.extensions["pin_jobs"].wait(1, timeout=5)
    guest.confirm()
    guest.client.get("/contact")
    guest.client.get("/contact")
    with app.app_context():
        subjects = db.session.scalars(db.select(AlertOutbox.subject)).all()
    assert sorted(subjects) == ["A guest is asking for help: booking 40321", "A guest's door PIN could not be made: booking 40321"]
