"""The insights page on a 320 px phone: axe-core finds nothing, nothing scrolls sideways, the
chart has a text alternative, and no script or other site is needed."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from axe_playwright_python.sync_playwright import Axe

# The live server and Chromium's path come from tests/browser; imported here, pytest uses them here too.
from browser.conftest import CHROMIUM_ARGS, PAGE_TIMEOUT_MS, chromium_path, live_app  # noqa: F401
from playwright.sync_api import expect, sync_playwright

from checkin.extensions import db
from checkin.services.insights import Step, record_pin_failure, record_step
from checkin.services.owner_accounts import save_owner

from .conftest import OWNER_EMAIL, OWNER_PASSWORD

pytestmark = pytest.mark.browser
NARROW_PHONE = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}


def test_the_insights_page_on_a_narrow_phone(chromium_path, live_app):
    base_url, app = live_app()
    with app.app_context():
        save_owner(OWNER_EMAIL, OWNER_PASSWORD)
        for step in [Step.FIND_BOOKING] * 3 + [Step.DETAILS] * 3 + [Step.PARKING] * 3 + [Step.REVIEW]:
            record_step(step)
        record_pin_failure("TTLock refused the request for a lock we do not know: a long reason (TTLock error 1).")
        db.session.commit()
    problems = []

    def steps(page):
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.goto(base_url + "/owner/insights")
        page.get_by_label("E-mail").fill(OWNER_EMAIL)
        page.get_by_label("Password").fill(OWNER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Insights", exact=True)).to_be_visible()
        expect(page.get_by_role("img", name="Guests reaching each step of check-in")).to_be_visible()
        expect(page.get_by_role("row", name="Parking 3 2")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        results = Axe().run(page)
        if results.violations_count:
            problems.append(results.generate_report())

    def run():
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(**NARROW_PHONE).new_page()
                page.set_default_timeout(PAGE_TIMEOUT_MS)
                steps(page)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="owner-phone") as pool:
        pool.submit(run).result(timeout=120)
    assert not problems, problems
