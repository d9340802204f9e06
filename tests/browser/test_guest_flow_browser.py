"""A guest checks in on their phone, in a real browser, against the app served on loopback."""
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from live_server import LOOPBACK

from checkin.extensions import db
from checkin.locks.simulated import SimulatedLockCloud
from checkin.models import CheckIn

pytestmark = pytest.mark.browser

FRONT_DOOR, ROOM_1_DOOR = 1001, 2001
ROOM_PAGE = re.compile(r"/room/[^/?#]+$")
FOUR_DIGITS = re.compile(r"^[0-9]{4}$")


# The guest's steps, page by page, as a person on a phone would take them.


def find_booking(page: Page, base_url: str, reference="40321", surname="Testington") -> None:
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", name="Find your booking")).to_be_visible()
    page.get_by_label("Booking reference").fill(reference)
    page.get_by_label("Surname").fill(surname)
    page.get_by_role("button", name="Find my booking").click()


def give_details(page: Page) -> None:
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    page.get_by_label("Full name").fill("Alex Testington")
    page.get_by_label("Phone").fill("+44 20 7946 0123")
    page.get_by_label("Email").fill("alex@example.com")
    page.get_by_role("button", name="Continue").click()
    # From here the PIN is being made in the background.


def arrive_at_parking(page: Page) -> None:
    expect(page.get_by_role("heading", name="Are you bringing a car?")).to_be_visible()


def give_car(page: Page, registration="AB12 CDE") -> None:
    page.get_by_label("Car registration").fill(registration)
    page.get_by_role("button", name="Continue", exact=True).click()


def arrive_at_review(page: Page) -> None:
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()


def press_confirm(page: Page) -> None:
    page.get_by_role("button", name="Confirm and get my door code").click()


def rush_to_confirm(page: Page, base_url: str) -> None:
    """Pages 1 to 4 without a pause."""
    find_booking(page, base_url)
    give_details(page)
    arrive_at_parking(page)
    page.get_by_role("button", name="I don't have a car").click()
    arrive_at_review(page)
    press_confirm(page)


def codes_on(app, ttlock_id: int) -> list[tuple[str, str]]:
    """(pin, name) of every code on a simulated lock."""
    with app.app_context():
        return [(code.pin, code.name) for code in SimulatedLockCloud.codes_on_lock(ttlock_id)]


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
    find_booking(page, base_url)
    give_details(page)

    arrive_at_parking(page)
    give_car(page)
    arrive_at_review(page)
    # Still on page 4 when the PIN is on both locks: it was made while they read.
    assert pin_state_when_done(app) == "ready"

    press_confirm(page)
    page.locator(".pin").wait_for(state="visible")

    # Straight to the room page: Confirm had nothing left to wait for, so no "almost ready".
    assert not [url for url in requested_urls if url.endswith("/almost-ready")]
    expect(page).to_have_url(ROOM_PAGE)
    pin = page.locator(".pin").inner_text().strip()
    assert FOUR_DIGITS.match(pin), f"not a 4-digit PIN: {pin!r}"
    assert codes_on(app, FRONT_DOOR) == [(pin, "Guest 40321")]
    assert codes_on(app, ROOM_1_DOOR) == [(pin, "Guest 40321")]
    assert_stayed_on_loopback(requested_urls)


def test_fast_guest_waits_on_almost_ready_and_moves_on_to_the_room_by_itself(page, live_app, requested_urls):
    # About 3 s for both locks, but Confirm waits only 0.5 s.
    base_url, app = live_app(SIMULATED_LOCK_LATENCY=1.5, CONFIRM_WAIT_SECONDS=0.5)
    rush_to_confirm(page, base_url)

    expect(page).to_have_url(re.compile(r"/almost-ready$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your door code is almost ready")

    # No click: the page moves on when the PIN is on both locks.
    page.wait_for_url(ROOM_PAGE, timeout=15_000)
    pin = page.locator(".pin")
    expect(pin).to_be_visible()
    expect(pin).to_have_text(FOUR_DIGITS)
    assert codes_on(app, FRONT_DOOR) == [(pin.inner_text().strip(), "Guest 40321")]
    assert_stayed_on_loopback(requested_urls)


def test_guest_whose_room_lock_is_offline_is_sent_to_the_owner_with_no_code_left_behind(
    page, live_app, requested_urls
):
    # Room 1's gateway is down: the front door gets the code first, then the room lock fails.
    base_url, app = live_app(SIMULATED_LOCK_LATENCY=0.05, SIMULATED_LOCK_OFFLINE=[ROOM_1_DOOR])
    rush_to_confirm(page, base_url)

    page.wait_for_url(re.compile(r"/contact$"), timeout=15_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("We couldn't set up your door code")
    expect(page.locator(".reference")).to_have_text("40321")
    expect(page.locator('a[href^="tel:"]')).to_have_count(1)
    expect(page.locator('a[href^="mailto:"]')).to_have_count(1)
    expect(page.locator('a[href^="https://wa.me/"]')).to_have_count(1)
    expect(page.locator(".pin")).to_have_count(0)

    # What went wrong is for the owner's log, never the guest's screen.
    html, text = page.content(), page.locator("body").inner_text()
    for leak in ("Traceback", "Exception", "LockUnreachable", "offline (simulated)"):
        assert leak not in html, f"the contact page's HTML holds {leak!r}"
    for leak in ("Error", "gateway", "simulated", "lock 2001"):
        assert leak not in text, f"the contact page shows {leak!r}"

    # All or nothing: the code already put on the front door was taken off again.
    assert codes_on(app, FRONT_DOOR) == []
    assert codes_on(app, ROOM_1_DOOR) == []
    assert_stayed_on_loopback(requested_urls)
