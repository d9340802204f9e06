"""The guest's five pages, as a guest sees them: one description, walked by label in any language.

A guest finds their booking (page 1), gives a name, phone and e-mail (2), a car registration or
"no car" (3), checks the answers and presses Confirm (4), and lands on the room page (5), maybe
after "almost ready". This package is the one place outside the app that knows those pages: their
order, paths, headings, field labels and button labels. Two flavours walk them by those labels:

- guest_driver.browser: a phone in Chromium, through Playwright (the browser tests, the screenshots);
- guest_driver.http: plain HTTP with requests, every request timed (the benchmark and the gunicorn
  tests, many guests at once). It reads each page's form as a browser would: label -> field.

Labels are msgids of the app's own catalogues (checkin/translations): a flavour reads the page's
<html lang> and translates them with babel, so the same steps work in every language the app offers,
and a renamed label breaks one line here rather than every copy of the walk.

Why here, a top-level package beside checkin/, tests/, benchmarks/ and scripts/: all three users
import it without tricks. pytest puts the project root on sys.path (setup.cfg `pythonpath = .`),
`python -m benchmarks.checkin_flow` runs from the root, and scripts/screenshots.py already puts the
root on sys.path. It is not in checkin/ (setup.cfg installs only checkin: a production install
never carries a test driver), not in tests/ (the benchmark and the script would import test code
and its conftest), and not in benchmarks/ (the browser flavour is not a benchmark).
"""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

import checkin
from checkin.i18n import DEFAULT_LANGUAGE, LANGUAGES

TRANSLATIONS = Path(checkin.__file__).parent / "translations"

# Labels and headings, as msgids in checkin/guest/forms.py and templates/guest/.
REFERENCE = "Booking reference"
# Page 1's second field is labelled one way or the other: the second while a booking can only
# be found by phone digits (a calendar gave no surname). A label may list such alternatives.
SURNAME = ("Surname (as on the booking)", "Surname (or the last 4 digits of your phone number)")
FIND_MY_BOOKING = "Find my booking"
FULL_NAME = "Full name"
PHONE = "Phone"
EMAIL = "Email"
CONTINUE = "Continue"
CAR_REGISTRATION = "Car registration"
NO_CAR = "I don't have a car"
CONFIRM = "Confirm and get my door code"


Label = str | tuple[str, ...]


def alternatives(label: Label) -> tuple[str, ...]:
    """The msgids a field's label may be, one of which the page shows."""
    return (label,) if isinstance(label, str) else label


@dataclass(frozen=True)
class GuestPage:
    name: str
    path: str  # the room page's is a prefix: /room/<token>
    heading: str  # its <h1>; on the room page the PIN's heading, the <h1> greets the guest by name
    fields: tuple[Label, ...] = ()
    buttons: tuple[str, ...] = ()


FIND_BOOKING = GuestPage("find booking", "/", "Find your booking", (REFERENCE, SURNAME), (FIND_MY_BOOKING,))
DETAILS = GuestPage("details", "/details", "Your details", (FULL_NAME, PHONE, EMAIL), (CONTINUE,))
PARKING = GuestPage("parking", "/parking", "Are you bringing a car?", (CAR_REGISTRATION,), (CONTINUE, NO_CAR))
REVIEW = GuestPage("review", "/review", "Check your answers", (), (CONFIRM,))
ROOM = GuestPage("room", "/room/", "Your door code")
# The five pages in order; between Confirm and the room page a guest may wait on "almost ready",
# and a guest whose PIN could not be made ends on the contact page instead.
JOURNEY = (FIND_BOOKING, DETAILS, PARKING, REVIEW, ROOM)
ALMOST_READY = GuestPage("almost ready", "/almost-ready", "Your door code is almost ready")
CONTACT = GuestPage("contact", "/contact", "We couldn't set up your door code")


@dataclass(frozen=True)
class Answers:
    """What a guest types on pages 1 to 3; no car unless a registration is given."""

    reference: str = "40321"
    surname: str = "Testington"
    full_name: str = "Alex Testington"
    phone: str = "+44 20 7946 0123"
    email: str = "alex@example.com"
    car_registration: str | None = None


# The demo property's two guests arriving today (checkin/services/demo.py).
ALEX = Answers()
SAM = Answers("40322", "Sampleton", "Sam Sampleton", "+44 20 7946 0456", "sam@example.com")


class Wording:
    """The app's words in one of its languages, from its own catalogues: wording(msgid) -> text."""

    def __init__(self, locale: str):
        self.locale = locale
        self._catalogue = _catalogue(locale)

    @classmethod
    def of_page(cls, html_lang: str | None) -> "Wording":
        """The wording of a page whose <html lang> is this (English if the app offers no such language)."""
        for language in LANGUAGES.values():
            if language.html_lang == html_lang:
                return cls(language.locale)
        return cls(DEFAULT_LANGUAGE.locale)

    def __call__(self, msgid: str) -> str:
        return self._catalogue.gettext(msgid)


@lru_cache(maxsize=None)
def _catalogue(locale: str) -> NullTranslations:
    # English has no catalogue: the msgids are the English text.
    return Translations.load(str(TRANSLATIONS), [locale])
