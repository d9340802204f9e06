"""A guest checks in on their phone, in a real browser, against the app served on loopback."""
import re
from urllib.parse import urlsplit

import pytest
from conftest import codes_on
from live_server import LOOPBACK
from playwright.sync_api import expect

from checkin.extensions import db
from checkin.models import CheckIn
from guest_driver import CONFIRM, REVIEW
from guest_driver.browser import (
    ALMOST_READY_PAGE,
    CONTACT_PAGE,
    ROOM_PAGE,
    BrowserGuest,
)

pytestmark = pytest.mark.browser

FRONT_DOOR, ROOM_1_DOOR = 1001, 2001
FOUR_DIGITS = re.compile(r"^[0-9]{4}$")


def pins_and_names_on(app, ttlock_id: int) -> list[tuple[str, str]]:
    """(pin, name) of every code on a simulated lock."""
    return [(code.pin, code.name) for code in codes_on(app, ttlock_id)]


def pin_state_when_done(app, timeout=10.0) -> str:
    """The one check-in's PIN state once its job (running in the live server) has finished."""
    with app.app_context():
        check_in = db.session.scalar(db.select(CheckIn))
        app.extensions["pin_jobs"].wait(check_in.id, timeout=timeout)
        db.session.refresh(check_in)
        return check_in.pin_state


def assert_stayed_on_loopback(urls: list[str]) -> None:
    """No request left 127.0.0.1: no fonts, analytics or CDNs on a guest's phone."""
    assert urls, "the page made no requests at all"
    elsewhere = [url for url in urls if urlsplit(url).hostname != LOOPBACK]
    assert not elsewhere, f"requests left {LOOPBACK}: {elsewhere}"


def test_unhurried_guest_finds_the_door_code_ready_the_moment_they_confirm(page, live_app, requested_urls):
    # The lock commands start when page 2 is sent; the guest reads pages 3 and 4 for longer.
    base_url, app = live_app(SIMULATED_LOCK_LATENCY=0.3)
    guest = BrowserGuest(page, base_url)
    guest.open()
    guest.find_booking()
    guest.give_details()  # from here the PIN is being made in the background
    guest.give_car()
    guest.on(REVIEW)
    # Still on page 4 when the PIN is on both locks: it was made while they read.
    assert pin_state_when_done(app) == "ready"
    guest.press(CONFIRM)
    page.locator(".pin").wait_for(state="visible")

    # Straight to the room page: Confirm had nothing left to wait for, so no "almost ready".
    assert not [url for url in requested_urls if url.endswith("/almost-ready")]
    expect(page).to_have_url(ROOM_PAGE)
    pin = page.locator(".pin").inner_text().strip()
    assert FOUR_DIGITS.match(pin), f"not a 4-digit PIN: {pin!r}"
    assert pins_and_names_on(app, FRONT_DOOR) == [(pin, "Guest 40321")]
    assert pins_and_names_on(app, ROOM_1_DOOR) == [(pin, "Guest 40321")]
    assert_stayed_on_loopback(requested_urls)


def test_fast_guest_waits_on_almost_ready_and_moves_on_to_the_room_by_itself(page, live_app, requested_urls):
    # About 3 s for both locks, but Confirm waits only 0.5 s.
    base_url, app = live_app(SIMULATED_LOCK_LATENCY=1.5, CONFIRM_WAIT_SECONDS=0.5)
    BrowserGuest(page, base_url).up_to_confirm()

    expect(page).to_have_url(ALMOST_READY_PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your door code is almost ready")

    # No click: the page moves on when the PIN is on both locks.
    page.wait_for_url(ROOM_PAGE, timeout=15_000)
    pin = page.locator(".pin")
    expect(pin).to_be_visible()
    expect(pin).to_have_text(FOUR_DIGITS)
    assert pins_and_names_on(app, FRONT_DOOR) == [(pin.inner_text().strip(), "Guest 40321")]
    assert_stayed_on_loopback(requested_urls)


def test_guest_whose_room_lock_is_offline_gets_a_backup_code_for_that_door(page, live_app, requested_urls):
    # Room 1's gateway is down: the front door gets the PIN, the room door a backup code that its
    # lock checks by itself (the contact page is for what a backup code cannot fix).
    base_url, app = live_app(SIMULATED_LOCK_LATENCY=0.05, SIMULATED_LOCK_OFFLINE=[ROOM_1_DOOR])
    BrowserGuest(page, base_url).up_to_confirm()

    page.wait_for_url(ROOM_PAGE, timeout=15_000)
    expect(page.get_by_role("heading", name="Your door codes")).to_be_visible()
    ((front_pin, front_name),) = pins_and_names_on(app, FRONT_DOOR)
    ((room_code, room_name),) = pins_and_names_on(app, ROOM_1_DOOR)
    assert FOUR_DIGITS.fullmatch(front_pin) and re.fullmatch("[0-9]{6,9}", room_code)
    assert front_name == room_name == "Guest 40321"

    # What went wrong is for the owner's log, never the guest's screen.
    html, text = page.content(), page.locator("body").inner_text()
    for leak in ("Traceback", "Exception", "LockUnreachable", "offline (simulated)"):
        assert leak not in html, f"the room page's HTML holds {leak!r}"
    for leak in ("Error", "simulated", "lock 2001"):
        assert leak not in text, f"the room page shows {leak!r}"
    assert_stayed_on_loopback(requested_urls)
