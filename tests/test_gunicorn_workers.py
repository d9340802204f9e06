"""Under gunicorn's several workers, any worker may serve any step: the check-in must not care.

The PIN job runs in the worker that took page 2; Confirm and the later pages may land on another
worker, which only sees the database. The committed deploy/gunicorn.conf.py (3 workers) is used.
"""
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from conftest import codes_on
from live_server import prepare_demo_database, run_gunicorn

from checkin.extensions import db

pytestmark = pytest.mark.gunicorn

GUESTS = [("40321", "Testington", 2001), ("40322", "Sampleton", 2002)]
FRONT_DOOR = 1001
GUEST_HEADER = "X-Test-Guest"
# The worker's pid and the guest on every access-log line: "<1234> 40321 POST /details 302".
ACCESS_LOG_FORMAT = "%(p)s %({x-test-guest}i)s %(m)s %(U)s %(s)s"
ACCESS_LINE = re.compile(r"^<(\d+)> (\S+) (GET|POST) (\S+) (\d{3})$", re.MULTILINE)
CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PIN = re.compile(r'<p class="pin"[^>]*>\s*([^<]*?)\s*</p>')
REQUEST_TIMEOUT = 10
FLOW_DEADLINE_SECONDS = 15


class PhoneBrowser:
    """A guest's browser over requests: fetches each form, sends its CSRF token, follows redirects."""

    def __init__(self, base_url: str, reference: str):
        self.base_url = base_url
        self.session = requests.Session()
        # Like nginx in front of gunicorn: a new upstream connection per request, which any
        # worker may accept (a kept-alive connection would stick to one worker).
        self.session.headers.update({"Connection": "close", GUEST_HEADER: reference})

    def close(self):
        self.session.close()

    def get(self, path_or_url: str) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        response = self.session.get(url, timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200, f"GET {url} gave {response.status_code}"
        return response

    def submit(self, page: requests.Response, data: dict, action: str | None = None) -> requests.Response:
        """Post the page's form (to its own URL unless it names an action), as the browser would."""
        token = CSRF_TOKEN.search(page.text)
        assert token, f"no form on {page.url}"
        url = self.base_url + action if action else page.url
        response = self.session.post(url, data={"csrf_token": token.group(1), **data}, timeout=REQUEST_TIMEOUT)
        assert response.history, f"POST {url} did not redirect: {response.status_code}"
        assert response.status_code == 200, f"POST {url} ended with {response.status_code}"
        return response


def check_in_and_get_pin(base_url: str, reference: str, surname: str) -> str:
    """Pages 1 to 5 for one guest; returns the PIN on the room page."""
    phone = PhoneBrowser(base_url, reference)
    try:
        page = phone.submit(phone.get("/"), {"reference": reference, "surname": surname})
        assert page.url.endswith("/details"), page.url
        page = phone.submit(
            page, {"full_name": f"Alex {surname}", "phone": "+44 20 7946 0123", "email": "alex@example.com"}
        )
        assert page.url.endswith("/parking"), page.url
        page = phone.submit(page, {"car_registration": "AB12 CDE"})
        assert page.url.endswith("/review"), page.url
        page = phone.submit(page, {}, action="/confirm")

        deadline = time.monotonic() + FLOW_DEADLINE_SECONDS
        while page.url.endswith("/almost-ready"):
            # The page's meta refresh, as a browser without JavaScript would follow it.
            assert time.monotonic() < deadline, "still not ready"
            time.sleep(0.5)
            page = phone.get(page.url)
        assert "/room/" in page.url, f"{reference} ended on {page.url}"
        pin = PIN.search(page.text)
        assert pin, f"no PIN on {reference}'s room page"
        return pin.group(1)
    finally:
        phone.close()


def test_two_guests_check_in_at_once_whichever_worker_serves_each_step(tmp_path):
    database_uri, app = prepare_demo_database(tmp_path)
    with run_gunicorn(
        tmp_path, database_uri, lock_latency=0.3, extra_args=("--access-logformat", ACCESS_LOG_FORMAT)
    ) as server:
        with ThreadPoolExecutor(max_workers=len(GUESTS)) as pool:
            flows = {ref: pool.submit(check_in_and_get_pin, server.base_url, ref, surname)
                     for ref, surname, _ in GUESTS}
            try:
                pins = {ref: flow.result(timeout=FLOW_DEADLINE_SECONDS + 10) for ref, flow in flows.items()}
            except Exception:
                print(server.log())  # shown by pytest with the failure
                raise

    for reference, pin in pins.items():
        assert re.fullmatch("[0-9]{4}", pin), f"{reference} got {pin!r}"
    assert len(set(pins.values())) == len(GUESTS), "two guests share a front door PIN"

    # Each PIN is on the shared front door and on that guest's room lock, and nowhere else.
    front_door = {(code.name, code.pin) for code in codes_on(app, FRONT_DOOR)}
    rooms = {room_lock: [(code.name, code.pin) for code in codes_on(app, room_lock)] for _, _, room_lock in GUESTS}
    with app.app_context():
        db.engine.dispose()
    assert front_door == {(f"Guest {ref}", pins[ref]) for ref, _, _ in GUESTS}
    for reference, _, room_lock in GUESTS:
        assert rooms[room_lock] == [(f"Guest {reference}", pins[reference])]

    # The guests' requests were spread over more than one worker.
    served = [(int(pid), guest, method, path) for pid, guest, method, path, _ in ACCESS_LINE.findall(server.log())
              if guest in pins]
    workers = {pid for pid, *_ in served}
    assert len(workers) >= 2, f"every request went to one worker: {served}"
