"""Every guest page in a real browser, reached the way a guest reaches it.

The guest is guest_driver.browser's: it finds fields and buttons by their labels, in the page's
language. `tour` walks to every page a guest can see and yields at each one, so a test can check
each page where it stands. `walk_every_guest_page` does that once per test session and language,
on a small phone with text at 200% that asks for the language, and records on each page what the
accessibility and page-weight tests check.
"""
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from axe_playwright_python.sync_playwright import Axe
from conftest import Guest, make_app
from live_server import serve_app
from lock_doubles import ScriptedLockCloud, use_lock_cloud
from playwright.sync_api import Browser, BrowserContext, Page, expect

from checkin.clock import property_today, utc_now
from checkin.extensions import db
from checkin.i18n import DEFAULT_LANGUAGE, Language
from checkin.locks import LockBusy
from checkin.models import Booking
from checkin.services.demo import load_demo_data
from guest_driver import ALEX, CONTINUE, EMAIL, FIND_MY_BOOKING, REFERENCE, SAM, SURNAME
from guest_driver.browser import (
    ALMOST_READY_PAGE,
    CONTACT_PAGE,
    ROOM_PAGE,
    BrowserGuest,
)

ROOM_2_DOOR = 2002
FAILING_PATH = "/test-only/failure"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PAGE_TIMEOUT_MS = 10_000


@contextmanager
def serve_demo_app(folder, **overrides) -> Iterator[tuple[str, object, ScriptedLockCloud]]:
    """The demo app on loopback, as in production (CSRF on), with a lock cloud the test holds.

    Room 2's lock refuses every new code, so booking 40322 ends on the contact page (an offline
    gateway would give backup codes instead). One extra route fails on
    purpose, to show the 500 page; it is added before the app serves its first request.
    """
    settings = {
        "TESTING": False,
        "SESSION_COOKIE_SECURE": False,
        "LOCK_QUEUE_DIR": str(folder / "lock-queues"),
        "CONFIRM_WAIT_SECONDS": 0.3,
        "LOOKUP_MISSES_PER_REFERENCE": 2,
        "LOOKUP_LIMIT_PER_IP_MINUTE": 100,
        "LOOKUP_LIMIT_PER_IP_HOUR": 100,
        **overrides,
    }
    app = make_app(folder, **settings)
    with app.app_context():
        load_demo_data()
    cloud = ScriptedLockCloud()
    cloud.failures[("add", ROOM_2_DOOR)] = [
        LockBusy("Room 2 door (2002) is busy with another command (TTLock error -3003).") for _ in range(100)
    ]
    cloud.gate_seconds = 60.0  # the tour checks four pages while the gate is shut
    use_lock_cloud(app, cloud)

    def fail():
        raise RuntimeError("a deliberate failure, to show the 500 page")

    app.add_url_rule(FAILING_PATH, "test_only_failure", fail)
    try:
        with serve_app(app) as base_url:
            yield base_url, app, cloud
    finally:
        cloud.gate.set()
        app.extensions["pin_jobs"].shutdown()
        with app.app_context():
            db.engine.dispose()


def new_phone(browser: Browser, init_script: str | None = None, **options) -> BrowserContext:
    """A fresh phone: its own cookies, cache and service workers; init_script runs in every page."""
    context = browser.new_context(**{**PHONE, **options})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    if init_script:
        context.add_init_script(init_script)
    return context


def room_link(app, reference="40321", surname="Testington") -> str:
    """Check in through the test client, quickly; the room link then works in any browser."""
    guest = Guest(app.test_client())
    location = guest.check_in(reference, surname).headers["Location"]
    deadline = time.monotonic() + 5
    while location.endswith("/almost-ready") and time.monotonic() < deadline:
        time.sleep(0.05)
        location = guest.client.get(location).headers.get("Location", location)
    assert ROOM_PAGE.search(location), location
    return location


def change_booking(app, reference: str, **changes) -> None:
    with app.app_context():
        booking = db.session.scalar(db.select(Booking).where(Booking.reference == reference))
        for name, value in changes.items():
            setattr(booking, name, value)
        db.session.commit()


def tour(
    browser: Browser, base_url: str, app, cloud: ScriptedLockCloud, prepare=None, **phone
) -> Iterator[tuple[str, Page]]:
    """Walk to every guest page; yield (name, page) on each, with the page loaded and still.

    The first phone checks in (with a wait on "almost ready"), a second sees the problem pages;
    `phone` holds new_phone's options for both, and `prepare(context)` runs on each before use.
    """
    phone_one = new_phone(browser, **phone)
    if prepare:
        prepare(phone_one)
    try:
        page = phone_one.new_page()
        guest = BrowserGuest(page, base_url)
        guest.open()
        yield "find booking", page
        guest.press(FIND_MY_BOOKING)
        yield "find booking, fields missing", page
        guest.find_booking(surname="Nobody")  # the form is still there after a miss
        yield "find booking, not found", page
        guest.find_booking()
        yield "details", page
        guest.fill(EMAIL, "not-an-email")
        guest.press(CONTINUE)
        yield "details, with errors", page

        # The locks are slow today: the PIN, started as page 2 is sent, waits at the gate until
        # the guest has pressed Confirm, so Confirm shows "almost ready" however slow the tour.
        cloud.gate.clear()
        guest.give_details()
        yield "parking", page
        guest.press(CONTINUE)
        yield "parking, registration missing", page
        guest.give_car()
        yield "review", page
        guest.confirm()
        expect(page).to_have_url(ALMOST_READY_PAGE)
        yield "almost ready", page
        cloud.gate.set()
        page.wait_for_url(ROOM_PAGE)
        expect(page.locator(".pin")).to_be_visible()
        room_url = page.url
        yield "room", page
        page.click("details.help > summary")
        yield "room, code not working", page
    finally:
        cloud.gate.set()
        phone_one.close()

    stranger = new_phone(browser, **phone)
    if prepare:
        prepare(stranger)
    try:
        page = stranger.new_page()
        guest = BrowserGuest(page, base_url)
        guest.open()
        guest.find_booking()
        yield "already checked in", page
        guest.open()
        guest.find_booking("40324", "Placeholder")
        yield "cancelled", page
        guest.open()
        guest.find_booking("40323", "Exampleford")
        yield "too early", page

        # Room 2's lock refuses every code: this guest ends on the contact page.
        guest.up_to_confirm(SAM)
        page.wait_for_url(CONTACT_PAGE)
        yield "contact", page

        with app.app_context():
            yesterday = property_today() - timedelta(days=1)
        change_booking(app, "40322", check_in_date=yesterday - timedelta(days=1), check_out_date=yesterday)
        guest.open()
        guest.find_booking(SAM.reference, SAM.surname)
        yield "stay ended", page

        guest.open()
        for surname in ("Wrong", "Wronger", "Wrongest"):
            guest.find_booking("40323", surname)  # the form is still there after a miss
        yield "too many tries", page

        guest.open()
        guest.fill(REFERENCE, ALEX.reference)
        guest.fill(SURNAME, ALEX.surname)
        page.eval_on_selector("input[name=csrf_token]", "input => { input.value = 'stale'; }")
        guest.press(FIND_MY_BOOKING)
        yield "expired form", page

        page.goto(base_url + "/no-such-page")
        yield "404", page
        page.goto(base_url + FAILING_PATH)
        yield "500", page
        change_booking(app, "40321", cancelled_at=utc_now())  # the room link now answers 410
        page.goto(room_url)
        yield "410", page
    finally:
        stranger.close()


# One walk, two tests: what each page looked like to axe, at 320 px with text at 200%, and on the wire.

SMALL_PHONE = {"viewport": {"width": 320, "height": 640}}
# The browser's text size at 200%, as text zoom sets it: the root font size.
TEXT_AT_200 = (
    "document.addEventListener('DOMContentLoaded', () => { document.documentElement.style.fontSize = '200%'; });"
)
MIN_TAP_PX = 44
# Interactive elements too small to tap; a link inside a sentence is exempt (WCAG 2.5.5).
SMALL_TAP_TARGETS = """min => [...document.querySelectorAll('a, button, input:not([type=hidden]), select, summary')]
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .filter(el => !(el.tagName === 'A' && getComputedStyle(el).display === 'inline' && el.closest('p')))
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, box]) => box.width < min || box.height < min)
  .map(([el, box]) => `${el.outerHTML.slice(0, 80)} is ${Math.round(box.width)}x${Math.round(box.height)}`)"""
SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
ROOT_FONT_SIZE = "() => getComputedStyle(document.documentElement).fontSize"


@dataclass
class PageFindings:
    name: str
    lang_and_dir: list[str]  # <html lang> and <html dir>
    root_font_size: str
    axe_report: str  # empty when axe found nothing
    sideways_px: int
    small_tap_targets: list[str]


class Transfers:
    """What the phone downloaded, grouped by page: a document and the requests that follow it.

    A page is weighed as on a first visit: a stylesheet the browser only revalidated (304)
    counts at the size it had when it was downloaded in full.
    """

    def __init__(self):
        self.pages: list[list[str]] = []
        self.full_size: dict[str, int] = {}
        self.urls: list[str] = []

    def watch(self, context: BrowserContext) -> None:
        context.on("requestfinished", self._finished)
        context.on("requestfailed", lambda request: self.urls.append(request.url))

    def _finished(self, request) -> None:
        self.urls.append(request.url)
        if request.resource_type == "document" or not self.pages:
            self.pages.append([])
        self.pages[-1].append(request.url)
        response = request.response()
        if response is not None and response.status != 304:
            sizes = request.sizes()
            size = sizes["responseHeadersSize"] + sizes["responseBodySize"]
            self.full_size[request.url] = max(size, self.full_size.get(request.url, 0))

    def weights(self) -> list[tuple[str, int]]:
        """(document address, bytes) for each page the phone loaded."""
        return [(urls[0], sum(self.full_size.get(url, 0) for url in set(urls))) for urls in self.pages]


@dataclass
class Walk:
    base_url: str
    pages: list[PageFindings] = field(default_factory=list)
    transfers: Transfers = field(default_factory=Transfers)


_walks: dict[tuple[int, str], Walk] = {}
_axe = Axe()  # reads axe-core's script once


def walk_every_guest_page(browser: Browser, folder, language: Language = DEFAULT_LANGUAGE) -> Walk:
    """Walk the tour once per browser (test session) and language; later callers get the same findings."""
    key = (id(browser), language.code)
    if key not in _walks:
        _walks[key] = _walk(browser, folder, language)
    return _walks[key]


def _walk(browser: Browser, folder, language: Language) -> Walk:
    with serve_demo_app(folder) as (base_url, app, cloud):
        walk = Walk(base_url)
        # The phone asks for the language as a browser set to it does (Accept-Language).
        # The worker is blocked: its own downloads are not the page's, and the offline tests cover it.
        phone = {**SMALL_PHONE, "locale": language.html_lang, "init_script": TEXT_AT_200, "service_workers": "block"}
        for name, page in tour(browser, base_url, app, cloud, prepare=walk.transfers.watch, **phone):
            results = _axe.run(page)
            walk.pages.append(
                PageFindings(
                    name=name,
                    lang_and_dir=page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]"),
                    root_font_size=page.evaluate(ROOT_FONT_SIZE),
                    axe_report=results.generate_report() if results.violations_count else "",
                    sideways_px=page.evaluate(SIDEWAYS_SCROLL),
                    small_tap_targets=page.evaluate(SMALL_TAP_TARGETS, MIN_TAP_PX - 0.5),
                )
            )
    return walk
