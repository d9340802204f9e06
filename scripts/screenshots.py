#!/usr/bin/env python3
"""Screenshots of every guest page, on a 390x844 phone, for docs/screenshots/.

Starts the real app on loopback with the demo property and simulated locks (Room 2's lock
offline, for the contact page), walks the check-in as a guest would in Debian's Chromium, and
saves one PNG per page. Nothing outside a temporary folder is touched.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""
import argparse
import os
import secrets
import shutil
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from checkin import create_app  # noqa: E402
from checkin.clock import property_today, utc_now  # noqa: E402
from checkin.database import upgrade_database  # noqa: E402
from checkin.extensions import db  # noqa: E402
from checkin.locks.gateway_queue import GatewayQueue  # noqa: E402
from checkin.locks.simulated import SimulatedLockCloud  # noqa: E402
from checkin.models import Booking  # noqa: E402
from checkin.pins.cloud import DatabaseSimulatedLocks  # noqa: E402
from checkin.services.demo import load_demo_data  # noqa: E402
from guest_driver import ALEX, CONTINUE, EMAIL, FIND_MY_BOOKING, REFERENCE, SAM, SURNAME  # noqa: E402
from guest_driver.browser import ALMOST_READY_PAGE, CONTACT_PAGE, ROOM_PAGE, BrowserGuest  # noqa: E402

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "en-GB"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-gpu"]
ROOM_2_DOOR = 2002
FAILING_PATH = "/screenshots-only/failure"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Debian's chromium is needed: scripts/install-system-packages installs it.")
    args.out.mkdir(parents=True, exist_ok=True)
    with (tempfile.TemporaryDirectory() as folder, demo_app(Path(folder)) as (base_url, app, locks),
          sync_playwright() as pw):
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            for name in walk(browser, base_url, app, locks, args.out):
                print(f"saved {args.out / name}.png")
        finally:
            browser.close()


class HeldLockCloud(SimulatedLockCloud):
    """Simulated locks that take a new code only once `gate` is open: the script holds a PIN
    until it has photographed "almost ready", however fast or slow this machine is."""

    def __init__(self, folder: Path, offline_lock_ids: set[int]):
        queue = GatewayQueue(folder / "gateway")
        super().__init__(DatabaseSimulatedLocks(), queue, ZoneInfo("Europe/London"), offline_lock_ids=offline_lock_ids)
        self.gate = threading.Event()
        self.gate.set()

    def add_passcode(self, *args, **kwargs):
        self.gate.wait(60)
        return super().add_passcode(*args, **kwargs)


@contextmanager
def demo_app(folder: Path):
    """The app on a free loopback port, with the demo property, until the block ends.

    Its instance folder is the temporary one: your instance/config.py (a real lock account?)
    is never read, and the locks are simulated whatever CHECKIN_LOCK_BACKEND says: Room 2's
    offline, for the contact page.
    """
    os.environ["CHECKIN_INSTANCE_PATH"] = str(folder)
    app = create_app({
        "LOCK_BACKEND": "simulated",
        "SECRET_KEY": secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'screenshots.sqlite'}",
        "LOCK_QUEUE_DIR": str(folder / "lock-queues"),
        "SESSION_COOKIE_SECURE": False,
        "PIN_RETRY_DELAY_SECONDS": 0.0,
        "CONFIRM_WAIT_SECONDS": 0.1,
        "LOOKUP_MISSES_PER_REFERENCE": 2,
    })

    def fail():
        raise RuntimeError("a deliberate failure, to photograph the 500 page")

    app.add_url_rule(FAILING_PATH, "screenshots_failure", fail)
    locks = HeldLockCloud(folder, offline_lock_ids={ROOM_2_DOOR})
    app.extensions["lock_cloud"] = locks
    with app.app_context():
        upgrade_database()
        load_demo_data()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app, locks
    finally:
        locks.gate.set()
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["pin_jobs"].shutdown()
        with app.app_context():
            db.engine.dispose()


def walk(browser, base_url: str, app, locks: HeldLockCloud, out: Path):
    """Every guest page, in the order a guest meets them; yields each file name once saved."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    guest = BrowserGuest(page, base_url)

    def shot(name: str) -> str:
        page.screenshot(path=out / f"{name}.png")
        return name

    guest.open()
    yield shot("01-find-booking")
    guest.press(FIND_MY_BOOKING)
    yield shot("02-find-booking-errors")
    guest.find_booking(ALEX.reference, ALEX.surname)
    yield shot("03-details")
    guest.give_details(replace(ALEX, email="alex@example"))
    yield shot("04-details-errors")
    locks.gate.clear()  # the PIN, started now, waits until "almost ready" is photographed
    guest.fill(EMAIL, ALEX.email)
    guest.press(CONTINUE)
    yield shot("05-parking")
    guest.give_car("AB12 CDE")
    yield shot("06-review")
    guest.confirm()
    page.wait_for_url(ALMOST_READY_PAGE)
    yield shot("07-almost-ready")
    locks.gate.set()
    page.wait_for_url(ROOM_PAGE, timeout=15_000)
    room_url = page.url
    yield shot("08-room")
    page.click("details.help > summary")
    page.locator("details.help").scroll_into_view_if_needed()
    yield shot("09-room-code-not-working")
    page.goto(room_url + "?lang=fr")
    yield shot("10-room-in-french")
    page.goto(room_url + "?lang=ar")  # right to left: the page mirrored, the door code still 1 2 3 4
    yield shot("22-room-in-arabic")
    page.goto(room_url + "?lang=en")
    page.click("details.languages > summary")
    yield shot("11-language-menu")
    context.close()

    # Another phone: the pages a guest meets when something is not right.
    context = browser.new_context(**PHONE)
    page = context.new_page()
    guest = BrowserGuest(page, base_url)
    guest.open()
    guest.find_booking(ALEX.reference, ALEX.surname)
    yield shot("12-already-checked-in")
    guest.open()
    guest.find_booking("40324", "Placeholder")
    yield shot("13-booking-cancelled")
    guest.open()
    guest.find_booking("40323", "Exampleford")
    yield shot("14-too-early")
    guest.up_to_confirm(SAM)
    page.wait_for_url(CONTACT_PAGE, timeout=15_000)
    yield shot("15-contact-us")
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.reference == SAM.reference))
        booking.check_out_date = property_today() - timedelta(days=1)
        booking.check_in_date = booking.check_out_date - timedelta(days=1)
        db.session.commit()
    guest.open()
    guest.find_booking(SAM.reference, SAM.surname)
    yield shot("16-stay-ended")
    for surname in ("Wrong", "Wronger", "Wrongest"):
        guest.open()
        guest.find_booking("40323", surname)
    yield shot("17-too-many-tries")
    guest.open()
    guest.fill(REFERENCE, ALEX.reference)
    guest.fill(SURNAME, ALEX.surname)
    page.eval_on_selector("input[name=csrf_token]", "input => { input.value = 'expired'; }")
    guest.press(FIND_MY_BOOKING)
    yield shot("18-page-expired")
    page.goto(base_url + "/no-such-page")
    yield shot("19-not-found")
    page.goto(base_url + FAILING_PATH)
    yield shot("20-something-went-wrong")
    with app.app_context():
        db.session.scalar(select(Booking).where(Booking.reference == ALEX.reference)).cancelled_at = utc_now()
        db.session.commit()
    page.goto(room_url)
    yield shot("21-link-expired")
    context.close()


if __name__ == "__main__":
    main()
