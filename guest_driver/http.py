"""The guest's pages over plain HTTP, every request timed, as a phone behind nginx makes them.

Each step reads the page's form the way a browser shows it (a <label> names a field, a submit
button shows its value), fills fields by label and presses a button by label, in the page's
language. Redirects are followed by hand so every hop is timed; "almost ready" is polled as
static/pin-status.js polls it.
"""
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

from guest_driver import (
    ALMOST_READY,
    CAR_REGISTRATION,
    CONFIRM,
    CONTINUE,
    DETAILS,
    EMAIL,
    FIND_BOOKING,
    FIND_MY_BOOKING,
    FULL_NAME,
    NO_CAR,
    PARKING,
    PHONE,
    REFERENCE,
    REVIEW,
    ROOM,
    SURNAME,
    Answers,
    GuestPage,
    Label,
    Wording,
    alternatives,
)

PIN = re.compile(r'<p class="pin"[^>]*>\s*([0-9]{4})\s*</p>')
STATUS_URL = re.compile(r'data-status-url="([^"]+)"')
# static/pin-status.js: the first status poll after 0.5 s, then one a second.
FIRST_POLL_SECONDS = 0.5
POLL_SECONDS = 1.0


class GaveUp(Exception):
    """The guest cannot go on: an unexpected page or answer, or the deadline passed."""


@dataclass
class Form:
    action: str | None
    fields: dict[str, str] = field(default_factory=dict)  # name -> value, hidden ones included
    field_names: dict[str, str] = field(default_factory=dict)  # label text -> field name
    buttons: dict[str, str] = field(default_factory=dict)  # button text -> name


@dataclass
class PageForms:
    html_lang: str | None = None
    forms: list[Form] = field(default_factory=list)

    def with_button(self, text: str) -> Form:
        for form in self.forms:
            if text in form.buttons:
                return form
        raise GaveUp(f"no button {text!r} on the page")


class _FormReader(HTMLParser):
    """<html lang>, and each form's fields, labels and submit buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = PageForms()
        self._form: Form | None = None
        self._ids: dict[str, str] = {}  # element id -> field name, in the current form
        self._labels: list[tuple[str, str]] = []  # (for, text)
        self._label: list[str] | None = None
        self._label_for = ""

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.page.html_lang = attrs.get("lang")
        elif tag == "form":
            self._form = Form(attrs.get("action") or None)
            self._ids, self._labels = {}, []
        elif tag == "label" and self._form is not None:
            self._label, self._label_for = [], attrs.get("for", "")
        elif tag in ("input", "textarea") and self._form is not None and attrs.get("name"):
            if attrs.get("type") == "submit":
                self._form.buttons[attrs.get("value", "")] = attrs["name"]
            else:
                self._form.fields[attrs["name"]] = attrs.get("value", "")
                self._ids[attrs.get("id", "")] = attrs["name"]

    def handle_data(self, data):
        if self._label is not None:
            self._label.append(data)

    def handle_endtag(self, tag):
        if tag == "label" and self._label is not None:
            self._labels.append((self._label_for, " ".join("".join(self._label).split())))
            self._label = None
        elif tag == "form" and self._form is not None:
            self._form.field_names = {text: self._ids[for_id] for for_id, text in self._labels if for_id in self._ids}
            self.page.forms.append(self._form)
            self._form = None


def read_forms(html: str) -> PageForms:
    reader = _FormReader()
    reader.feed(html)
    reader.close()
    return reader.page


def form_data(html: str, labelled: dict[Label, str], button: str) -> tuple[str | None, dict[str, str]]:
    """(action, data) for pressing `button` after filling fields by label; all as msgids.

    The form's other fields (the CSRF token) keep their values, as in a browser.
    """
    page = read_forms(html)
    words = Wording.of_page(page.html_lang)
    form = page.with_button(words(button))
    data = dict(form.fields)
    for label, value in labelled.items():
        names = [form.field_names[words(text)] for text in alternatives(label) if words(text) in form.field_names]
        if not names:
            raise GaveUp(f"no field labelled {' or '.join(map(repr, map(words, alternatives(label))))}")
        data[names[0]] = value
    data[form.buttons[words(button)]] = words(button)
    return form.action, data


@dataclass
class TimedRequest:
    label: str  # method and page, e.g. "POST /details", the room token and check-in id left out
    seconds: float


def request_label(method: str, path: str) -> str:
    if path.startswith(ROOM.path):
        path = ROOM.path + "<token>"
    elif path.startswith("/api/check-ins/"):
        path = "/api/check-ins/<id>/status"
    return f"{method} {path}"


class HttpGuest:
    """A guest's phone over HTTP: one cookie jar, every request timed, none past the deadline."""

    def __init__(self, base_url: str, deadline: float):
        self.base_url = base_url
        self.deadline = deadline  # time.monotonic() at which the guest gives up
        self.requests: list[TimedRequest] = []
        self.response: requests.Response | None = None  # the page the guest is on
        self.session = requests.Session()
        # Like nginx in front of gunicorn: a new upstream connection per request, which any
        # worker may accept (a kept-alive connection would stick to one worker).
        self.session.headers["Connection"] = "close"

    def close(self) -> None:
        self.session.close()

    @property
    def path(self) -> str:
        return urlsplit(self.response.url).path

    def on(self, page: GuestPage) -> bool:
        return self.path.startswith(page.path) if page is ROOM else self.path == page.path

    def expect(self, page: GuestPage) -> None:
        if not self.on(page):
            raise GaveUp(f"expected the {page.name} page, got {request_label('GET', self.path)}")

    # The journey, page by page.

    def open(self, path: str = FIND_BOOKING.path) -> None:
        self.response = self.get(path)

    def find_booking(self, reference: str, surname: str) -> None:
        self.fill_and_press(FIND_BOOKING, {REFERENCE: reference, SURNAME: surname}, FIND_MY_BOOKING)

    def give_details(self, answers: Answers) -> None:
        labelled = {FULL_NAME: answers.full_name, PHONE: answers.phone, EMAIL: answers.email}
        self.fill_and_press(DETAILS, labelled, CONTINUE)

    def give_car(self, registration: str) -> None:
        self.fill_and_press(PARKING, {CAR_REGISTRATION: registration}, CONTINUE)

    def no_car(self) -> None:
        self.fill_and_press(PARKING, {}, NO_CAR)

    def confirm(self) -> None:
        self.fill_and_press(REVIEW, {}, CONFIRM)

    def wait_for_room(self) -> None:
        """From "almost ready", poll the status as pin-status.js does, then go where it says."""
        if not self.on(ALMOST_READY):
            return
        status_url = STATUS_URL.search(self.response.text)
        if status_url is None:
            raise GaveUp("no status URL on the almost ready page")
        self.pause(FIRST_POLL_SECONDS)
        while True:
            next_url = self.request("GET", status_url.group(1)).json()["next"]
            if next_url:
                self.response = self.get(next_url)
                return
            self.pause(POLL_SECONDS)

    def pin(self) -> str | None:
        """The door code on the room page, if the guest is on it and it is ready."""
        match = PIN.search(self.response.text) if self.on(ROOM) else None
        return match.group(1) if match else None

    def up_to_parking(self, answers: Answers) -> None:
        """Pages 1 and 2: from here the PIN is being made."""
        self.open()
        self.find_booking(answers.reference, answers.surname)
        self.give_details(answers)

    def park(self, answers: Answers) -> None:
        """Page 3: the registration, or no car if the guest has none."""
        if answers.car_registration is None:
            self.no_car()
        else:
            self.give_car(answers.car_registration)

    # Requests.

    def fill_and_press(self, page: GuestPage, labelled: dict[Label, str], button: str) -> None:
        """On `page`, fill fields by label and press a button by label (msgids); follow to the next page."""
        self.expect(page)
        action, data = form_data(self.response.text, labelled, button)
        response = self.request("POST", action or self.response.url, data)
        self.response = self.get(response.headers["Location"]) if response.is_redirect else response

    def request(self, method: str, url: str, data: dict | None = None) -> requests.Response:
        """One request, timed, bounded by the deadline; an error status is the end of the walk."""
        url = urljoin(self.base_url, url)
        started = time.perf_counter()
        response = self.session.request(method, url, data=data, allow_redirects=False, timeout=self._time_left())
        label = request_label(method, urlsplit(url).path)
        self.requests.append(TimedRequest(label, time.perf_counter() - started))
        if response.status_code not in (200, 302, 303):
            raise GaveUp(f"{label} answered {response.status_code}")
        return response

    def get(self, url: str) -> requests.Response:
        """GET a page and follow its redirects, as the browser does."""
        response = self.request("GET", url)
        while response.is_redirect:
            response = self.request("GET", response.headers["Location"])
        return response

    def pause(self, seconds: float) -> None:
        """The guest reads or types; never past the deadline."""
        if seconds > self._time_left():
            raise GaveUp("the deadline passed")
        time.sleep(seconds)

    def _time_left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise GaveUp("the deadline passed")
        return left
