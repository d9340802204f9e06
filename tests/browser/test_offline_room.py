"""The room page keeps working with no signal once it has been opened, and offers the home screen."""
import json
from datetime import timezone

import pytest
import time_machine
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from checkin.clock import utc_now

from .guest_journey import change_booking, new_phone, room_link, serve_demo_app

# One worker for the module: its tests share demo_server.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("offline_room")]

CACHED_PAGES = """async () => {
  const cache = await caches.open('room-pages-v1');
  const keys = await cache.keys();
  return keys.map(request => new URL(request.url).pathname).filter(path => path.startsWith('/room/'));
}"""
# Pretend check-out time has passed for the kept copy.
EXPIRE_THE_COPY = """async () => {
  const cache = await caches.open('room-pages-v1');
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    if (!response.headers.get('X-Keep-Until')) continue;
    const headers = new Headers(response.headers);
    headers.set('X-Keep-Until', String(Date.now() - 1000));
    await cache.put(request, new Response(await response.text(), { headers }));
  }
}"""


@pytest.fixture(autouse=True)
def on_the_machines_clock(clock):
    """The kept copy's end (check-out) is judged by the service worker on the machine's clock,
    which Playwright cannot move, so here the server runs on the machine's clock too; the stay's
    dates still derive from it (the demo is reset for each test)."""
    clock.move_to(time_machine.escape_hatch.datetime.datetime.now(timezone.utc), tick=True)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """One server for the tests that leave it running; each test resets the demo."""
    with serve_demo_app(tmp_path_factory.mktemp("offline")) as (base_url, app, _):
        yield base_url, app


@pytest.fixture
def phone(browser):
    context = new_phone(browser)
    yield context
    context.close()


def open_room_page_and_wait_until_kept(page, base_url, app) -> str:
    room_url = base_url + room_link(app)
    page.goto(room_url)
    expect(page.locator("#room-page")).to_have_attribute("data-offline-ready", "true")
    return room_url


def test_room_page_shows_the_pin_offline_even_with_the_server_gone(tmp_path, phone):
    page = phone.new_page()
    with serve_demo_app(tmp_path) as (base_url, app, _):
        room_url = open_room_page_and_wait_until_kept(page, base_url, app)
        pin = page.locator(".pin").inner_text()
        updated = page.locator(".updated time").inner_text()
        expect(page.locator("#offline-note")).to_be_hidden()

        phone.set_offline(True)
        page.reload()
        expect(page.locator(".pin")).to_have_text(pin)
        expect(page.locator(".updated time")).to_have_text(updated)  # when the copy was made
        expect(page.locator("#offline-note")).to_be_visible()
        expect(page.locator(".site-header")).to_have_css("background-color", "rgb(18, 49, 90)")  # styled: kept too
        phone.set_offline(False)

    # The server has stopped: only the copy on the phone can answer now.
    page.goto(room_url)
    expect(page.locator(".pin")).to_have_text(pin)


def test_the_copy_is_deleted_after_check_out_time(demo_app, phone):
    base_url, app = demo_app
    page = phone.new_page()
    open_room_page_and_wait_until_kept(page, base_url, app)
    assert len(page.evaluate(CACHED_PAGES)) == 1
    page.evaluate(EXPIRE_THE_COPY)
    phone.set_offline(True)
    with pytest.raises(PlaywrightError):
        page.reload()  # nothing to show: the copy was past check-out
    phone.set_offline(False)
    page.goto(base_url + "/")
    assert page.evaluate(CACHED_PAGES) == []


def test_the_copy_is_deleted_when_the_server_says_the_page_is_gone(demo_app, phone):
    base_url, app = demo_app
    page = phone.new_page()
    open_room_page_and_wait_until_kept(page, base_url, app)
    change_booking(app, "40321", cancelled_at=utc_now())
    assert page.reload().status == 410
    assert page.evaluate(CACHED_PAGES) == []


def test_add_to_home_screen_button_appears_only_when_the_browser_offers_it(demo_app, phone):
    base_url, app = demo_app
    page = phone.new_page()
    page.goto(base_url + room_link(app))
    button, hint = page.locator("#install-button"), page.locator("#install-hint")
    expect(button).to_be_hidden()
    expect(hint).to_be_visible()

    # What Chromium does when the page can be installed.
    page.evaluate("""() => {
      const offer = new Event('beforeinstallprompt', { cancelable: true });
      offer.prompt = () => { window.installPrompted = true; };
      offer.userChoice = Promise.resolve({ outcome: 'accepted' });
      window.dispatchEvent(offer);
    }""")
    expect(button).to_be_visible()
    expect(hint).to_be_hidden()
    button.click()
    assert page.evaluate("window.installPrompted") is True
    expect(button).to_be_hidden()

    manifest_url = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = json.loads(page.request.get(base_url + manifest_url).text())
    assert manifest["scope"] == "/room/" and manifest["display"] == "standalone"
    assert "start_url" not in manifest  # the installed app opens the room page that linked it
    for icon in manifest["icons"]:
        assert page.request.get(base_url + icon["src"]).ok
