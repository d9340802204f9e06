"""The owner, on a phone, sees tonight's failed PIN with its reason and fixes it in one tap."""
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

# The live server and Chromium's path come from tests/browser; imported here, pytest uses them here too.
from browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    PAGE_TIMEOUT_MS,
    PHONE,
    chromium_path,
    live_app,
)
from conftest import shows_pin
from lock_doubles import ScriptedLockCloud, use_lock_cloud
from playwright.sync_api import Page, expect, sync_playwright

from checkin.extensions import db
from checkin.locks import LockBusy
from checkin.models import Booking
from checkin.services.check_ins import begin_check_in, save_guest_details
from checkin.services.owner_accounts import save_owner

from .conftest import OWNER_EMAIL, OWNER_PASSWORD, ROOM_1, pins_on, wait_for_pin

pytestmark = pytest.mark.browser
FOUR_DIGITS = re.compile(r"^[0-9]{4}$")
TEST_SECONDS = 120


def on_a_phone(chromium_path: str, steps) -> None:
    """Run steps(page) in a phone-sized tab of a Chromium of our own, in a thread of our own.

    Playwright's sync API allows one instance per thread, and tests/browser's session browser may
    be running on this one: a second thread keeps the two apart.
    """

    def run() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(**PHONE).new_page()
                page.set_default_timeout(PAGE_TIMEOUT_MS)
                steps(page)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="owner-phone") as pool:
        pool.submit(run).result(timeout=TEST_SECONDS)


def guest_whose_pin_failed(app) -> None:
    """Guest 40321 gave their details while the room lock's gateway was offline."""
    cloud = ScriptedLockCloud()
    cloud.failures[("add", ROOM_1)] = [LockBusy("Could not reach the TTLock cloud.")] * 2
    use_lock_cloud(app, cloud)
    with app.app_context():
        save_owner(OWNER_EMAIL, OWNER_PASSWORD)
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == "40321"))
        save_guest_details(begin_check_in(booking), "Alex Testington", "+442079460123", "alex@example.com")
    assert wait_for_pin(app).pin_state == "failed"


def test_owner_fixes_a_failed_pin_from_a_phone(chromium_path, live_app):
    base_url, app = live_app()
    guest_whose_pin_failed(app)
    on_a_phone(chromium_path, lambda page: fix_the_failed_pin(page, base_url, app))


def fix_the_failed_pin(page: Page, base_url: str, app) -> None:
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)

    page.goto(base_url + "/owner")
    expect(page.get_by_role("heading", name="Owner sign-in")).to_be_visible()
    page.get_by_label("E-mail").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Needs you now (1)")).to_be_visible()
    card = page.locator(".attention-list .booking-card")
    expect(card).to_contain_text("Testington")
    expect(card).to_contain_text("Failed")
    expect(card).to_contain_text("Could not reach the TTLock cloud.")
    # Phone first: nothing wider than the screen, and the fix is a thumb-sized button.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    retry = card.get_by_role("button", name="Retry PIN")
    assert retry.bounding_box()["height"] >= 44

    retry.click()
    expect(page.locator(".flash-success")).to_contain_text("A new PIN is being made")
    check_in = wait_for_pin(app)
    assert check_in.pin_state == "ready"
    page.reload()
    expect(page.get_by_role("heading", name="Needs you now")).to_have_count(0)
    arrival = page.locator("section", has=page.get_by_role("heading", name="Arriving today (2)")).locator(".booking-card").first
    expect(arrival).to_contain_text("Ready")
    expect(arrival).to_contain_text("Front door (1001), Room 1 door (2001)")
    assert not shows_pin(page.content(), check_in.pin)

    # The guest calls: the owner reads the PIN to them from the booking page.
    arrival.get_by_role("link", name="Testington").click()
    page.get_by_role("button", name="Show PIN").click()
    expect(page.locator(".pin")).to_have_text(FOUR_DIGITS)
    assert page.locator(".pin").inner_text() == check_in.pin
    assert pins_on(app, ROOM_1) == [check_in.pin]
    assert not blocked, f"the Content-Security-Policy blocked something: {blocked}"
