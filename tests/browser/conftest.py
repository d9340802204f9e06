"""A guest's phone: Debian's headless Chromium driven by Playwright, against the app on loopback."""
import os
import shutil
from contextlib import ExitStack

import pytest
from conftest import make_app
from live_server import serve_app
from playwright.sync_api import sync_playwright

from checkin.extensions import db
from checkin.services.demo import load_demo_data

# Playwright's own browser download cannot work here: drive the Chromium that Debian installs.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
PAGE_TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def chromium_path():
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian's chromium is not installed (scripts/install-system-packages installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the browser tests.", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def live_app(tmp_path):
    """Start the app on loopback with config overrides: `base_url, app = live_app(KEY=value)`.

    CSRF stays on and TESTING is off, as in production; only the cookie may travel over plain HTTP.
    Every server started here stops when the test ends.
    """
    started = []
    with ExitStack() as stack:

        def start(**overrides):
            folder = tmp_path / f"live-{len(started)}"
            folder.mkdir()
            settings = {
                "TESTING": False,
                "SESSION_COOKIE_SECURE": False,
                # The simulated gateway's queue, per test rather than in the shared instance folder.
                "LOCK_QUEUE_DIR": str(folder / "lock-queues"),
                **overrides,
            }
            app = make_app(folder, **settings)
            with app.app_context():
                load_demo_data()
            stack.callback(_close_app, app)  # runs after the server below has stopped
            base_url = stack.enter_context(serve_app(app))
            started.append(base_url)
            return base_url, app

        yield start


def _close_app(app):
    app.extensions["pin_jobs"].shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def requested_urls():
    """Every URL the guest's page requested."""
    return []


@pytest.fixture
def page(browser, live_app, requested_urls):
    """A fresh phone-sized browser tab; it closes before any live server stops (hence live_app)."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.on("request", lambda request: requested_urls.append(request.url))
        yield page
    finally:
        context.close()



@pytest.fixture
def demo_app(demo_server):
    """The module's `demo_server` (base URL, app), with the demo property reset for this test."""
    base_url, app = demo_server
    with app.app_context():
        load_demo_data()
    return base_url, app
