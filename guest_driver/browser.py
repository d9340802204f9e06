"""The guest's pages in a real browser, through Playwright: a phone, walked by label.

Each step checks it stands on the right page (by its heading), fills fields by their labels and
presses buttons by their names, in the language the page is shown in (its <html lang>), and
returns once the next page has loaded.
"""
import re

from playwright.sync_api import Page, expect

from guest_driver import (
    ALEX,
    ALMOST_READY,
    CAR_REGISTRATION,
    CONFIRM,
    CONTACT,
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

ROOM_PAGE = re.compile(re.escape(ROOM.path) + r"[^/?#]+$")
ALMOST_READY_PAGE = re.compile(re.escape(ALMOST_READY.path) + "$")
CONTACT_PAGE = re.compile(re.escape(CONTACT.path) + "$")


class BrowserGuest:
    """A guest on `page` (a Playwright tab) checking in at `base_url`."""

    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url

    def words(self, msgid: str) -> str:
        """The text in the page's language (whatever the browser asked for or the guest chose).

        Whitespace is collapsed, as in the accessible names Playwright matches ("voiture\u00a0?").
        """
        text = Wording.of_page(self.page.locator("html").get_attribute("lang"))(msgid)
        return " ".join(text.split())

    # The journey, page by page.

    def open(self, path: str = FIND_BOOKING.path) -> None:
        self.page.goto(self.base_url + path)

    def find_booking(self, reference: str = ALEX.reference, surname: str = ALEX.surname) -> None:
        """Page 1, on the page where the guest stands (after a miss the form is still there)."""
        self.on(FIND_BOOKING)
        self.fill(REFERENCE, reference)
        self.fill(SURNAME, surname)
        self.press(FIND_MY_BOOKING)

    def give_details(self, answers: Answers = ALEX) -> None:
        self.on(DETAILS)
        self.fill(FULL_NAME, answers.full_name)
        self.fill(PHONE, answers.phone)
        self.fill(EMAIL, answers.email)
        self.press(CONTINUE)

    def give_car(self, registration: str = "AB12 CDE") -> None:
        self.on(PARKING)
        self.fill(CAR_REGISTRATION, registration)
        self.press(CONTINUE)

    def no_car(self) -> None:
        self.on(PARKING)
        self.press(NO_CAR)

    def confirm(self) -> None:
        self.on(REVIEW)
        self.press(CONFIRM)

    def park(self, answers: Answers) -> None:
        """Page 3: the registration, or no car if the guest has none."""
        if answers.car_registration is None:
            self.no_car()
        else:
            self.give_car(answers.car_registration)

    def up_to_confirm(self, answers: Answers = ALEX) -> None:
        """Pages 1 to 4 without a pause, and Confirm."""
        self.open()
        self.find_booking(answers.reference, answers.surname)
        self.give_details(answers)
        self.park(answers)
        self.confirm()

    # What a guest does on any page.

    def on(self, guest_page: GuestPage) -> None:
        """The guest sees the page's heading, in the page's language."""
        expect(self.page.get_by_role("heading", name=self.words(guest_page.heading), exact=True)).to_be_visible()

    def fill(self, label: Label, value: str) -> None:
        fields = [self.page.get_by_label(self.words(text), exact=True) for text in alternatives(label)]
        field = fields[0]
        for other in fields[1:]:
            field = field.or_(other)
        field.fill(value)

    def press(self, button: str) -> None:
        """Press a form's button and wait for the next page to load (after any redirect)."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=self.words(button), exact=True).click()
