"""One guest's check-in over HTTP, each request timed, as a phone behind nginx makes it."""
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests

CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PIN = re.compile(r'<p class="pin"[^>]*>\s*([0-9]{4})\s*</p>')
STATUS_URL = re.compile(r'data-status-url="([^"]+)"')
# static/pin-status.js: the first status poll after 0.5 s, then one a second.
FIRST_POLL_SECONDS = 0.5
POLL_SECONDS = 1.0


class GaveUp(Exception):
    """The guest's flow cannot go on: an unexpected page, or the run's deadline passed."""


@dataclass
class GuestOutcome:
    reference: str
    # (page label, seconds) for every request, e.g. ("POST /details", 0.012).
    requests: list[tuple[str, float]] = field(default_factory=list)
    confirm_wait: float | None = None  # POST /confirm until the room page has arrived
    pin: str | None = None
    problem: str | None = None  # why the guest has no PIN: "failed" (contact page) or what went wrong


def page_label(method: str, path: str) -> str:
    """The request's page, with the room token and the check-in id left out."""
    if path.startswith("/room/"):
        path = "/room/<token>"
    elif path.startswith("/api/check-ins/"):
        path = "/api/check-ins/<id>/status"
    return f"{method} {path}"


class TimedPhone:
    """A guest's browser: one cookie jar, redirects followed by hand so each hop is timed."""

    def __init__(self, base_url: str, deadline: float, outcome: GuestOutcome):
        self.base_url = base_url
        self.deadline = deadline
        self.outcome = outcome
        self.session = requests.Session()
        # Like nginx in front of gunicorn: a new upstream connection per request, which any
        # worker may accept (a kept-alive connection would stick to one worker).
        self.session.headers["Connection"] = "close"

    def request(self, method: str, url: str, data: dict | None = None) -> requests.Response:
        """One request, timed, bounded by the run's deadline."""
        url = urljoin(self.base_url, url)
        started = time.perf_counter()
        response = self.session.request(
            method, url, data=data, allow_redirects=False, timeout=self._time_left()
        )
        label = page_label(method, urlsplit(url).path)
        self.outcome.requests.append((label, time.perf_counter() - started))
        if response.status_code not in (200, 302, 303):
            raise GaveUp(f"{label} answered {response.status_code}")
        return response

    def get(self, url: str) -> requests.Response:
        """GET a page and follow its redirects, as the browser does."""
        response = self.request("GET", url)
        while response.is_redirect:
            response = self.request("GET", response.headers["Location"])
        return response

    def submit(self, page: requests.Response, data: dict, action: str | None = None) -> requests.Response:
        """Post the page's form, with its CSRF token, to its own URL unless it names an action."""
        token = CSRF_TOKEN.search(page.text)
        if token is None:
            raise GaveUp(f"no form on {urlsplit(page.url).path}")
        response = self.request("POST", action or page.url, {"csrf_token": token.group(1), **data})
        return self.get(response.headers["Location"]) if response.is_redirect else response

    def pause(self, seconds: float) -> None:
        """The guest reads or types; never past the deadline."""
        if seconds > self._time_left():
            raise GaveUp("the run's deadline passed")
        time.sleep(seconds)

    def _time_left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise GaveUp("the run's deadline passed")
        return left


def expect(page: requests.Response, path: str) -> None:
    """The flow is on the page it should be on."""
    if urlsplit(page.url).path != path:
        raise GaveUp(f"expected {path}, got {page_label('GET', urlsplit(page.url).path)}")


def check_in(base_url: str, reference: str, surname: str, think: float, deadline: float) -> GuestOutcome:
    """Pages 1 to 5 for one guest, pausing `think` seconds over pages 3 and 4; never raises."""
    outcome = GuestOutcome(reference)
    phone = TimedPhone(base_url, deadline, outcome)
    try:
        page = phone.submit(phone.get("/"), {"reference": reference, "surname": surname})
        expect(page, "/details")
        page = phone.submit(page, {"full_name": f"Alex {surname}", "phone": "+44 20 7946 0123",
                                   "email": f"guest{reference}@example.com"})
        expect(page, "/parking")
        phone.pause(think / 2)
        # Half the guests come by car, so both buttons of page 3 are used.
        parking = {"car_registration": "AB12 CDE"} if int(reference) % 2 else {"no_car": "I don't have a car"}
        page = phone.submit(page, parking)
        expect(page, "/review")
        phone.pause(think / 2)
        confirmed_at = time.perf_counter()
        page = wait_on_almost_ready(phone, phone.submit(page, {}, action="/confirm"))
        waited = time.perf_counter() - confirmed_at
        path = urlsplit(page.url).path
        pin = PIN.search(page.text) if path.startswith("/room/") else None
        if path == "/contact":
            outcome.problem = "failed"
        elif pin is None:
            raise GaveUp(f"ended on {page_label('GET', path)} without a PIN")
        else:
            outcome.confirm_wait = waited
            outcome.pin = pin.group(1)
    except (GaveUp, requests.RequestException) as error:
        outcome.problem = str(error) or type(error).__name__
    finally:
        phone.session.close()
    return outcome


def wait_on_almost_ready(phone: TimedPhone, page: requests.Response) -> requests.Response:
    """On "almost ready", poll the status as pin-status.js does, then go where it says."""
    if urlsplit(page.url).path != "/almost-ready":
        return page
    status_url = STATUS_URL.search(page.text)
    if status_url is None:
        raise GaveUp("no status URL on /almost-ready")
    phone.pause(FIRST_POLL_SECONDS)
    while True:
        next_url = phone.request("GET", status_url.group(1)).json()["next"]
        if next_url:
            return phone.get(next_url)
        phone.pause(POLL_SECONDS)
