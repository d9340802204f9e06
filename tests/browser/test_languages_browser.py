"""The whole check-in in each language, as the browser asks for it (the menu: test_accessibility)."""
import re

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from checkin.extensions import db
from checkin.models import Booking

from .guest_journey import (
    ROOM_PAGE,
    confirm,
    enter_booking,
    give_details,
    new_phone,
    no_car,
    serve_demo_app,
)

# One worker for the module: its tests share demo_server.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("languages_browser")]

NBSP = "\u00a0"
# Accept-Language -> (html lang, Babel locale, headings of pages 1 to 4, the PIN's heading, "Valid from").
LANGUAGES = {
    "en-GB": ("en-GB", "en_GB", ["Find your booking", "Your details", "Are you bringing a car?",
                                 "Check your answers"], "Your door code", "Valid from"),
    "fr-FR": ("fr", "fr", ["Trouvez votre réservation", "Vos coordonnées", f"Venez-vous en voiture{NBSP}?",
                           "Vérifiez vos réponses"], "Votre code d’accès", "Valable du"),
    "de-DE": ("de", "de", ["Ihre Buchung finden", "Ihre Angaben", "Kommen Sie mit dem Auto?",
                           "Angaben prüfen"], "Ihr Türcode", "Gültig von"),
    "es-ES": ("es", "es", ["Busque su reserva", "Sus datos", "¿Viene en coche?",
                           "Revise sus respuestas"], "Su código de puerta", "Válido del"),
    "it-IT": ("it", "it", ["Trova la prenotazione", "I Suoi dati", "Arriva in auto?",
                           "Controlli le risposte"], "Il codice della porta", "Valido dal"),
    "pl-PL": ("pl", "pl", ["Znajdź swoją rezerwację", "Twoje dane", "Przyjeżdżasz samochodem?",
                           "Sprawdź odpowiedzi"], "Twój kod do drzwi", "Ważny od"),
    "zh-CN": ("zh-Hans", "zh_Hans", ["查找您的预订", "您的信息", "您开车来吗？", "核对您的信息"],
              "您的门锁密码", "有效期"),
}


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """One server for the module (the tests are quicker); each test resets the demo."""
    # The PIN is made as page 2 is posted, as in production, and the lock cloud is instant.
    with serve_demo_app(tmp_path_factory.mktemp("languages"), START_PIN_AT="details") as (base_url, app, _):
        yield base_url, app


def heading(page):
    return page.get_by_role("heading", level=1)


@pytest.mark.parametrize("accept_language", LANGUAGES)
def test_guest_checks_in_in_their_browsers_language(browser, demo_app, accept_language):
    html_lang, locale, headings, pin_heading, valid_from = LANGUAGES[accept_language]
    base_url, app = demo_app
    with app.app_context():
        arrival = db.session.scalar(db.select(Booking.check_in_date).where(Booking.reference == "40321"))
    phone = new_phone(browser, locale=accept_language, service_workers="block")
    try:
        page = phone.new_page()
        page.goto(base_url + "/")
        expect(page.locator("html")).to_have_attribute("lang", html_lang)
        expect(heading(page)).to_have_text(headings[0])
        enter_booking(page)
        expect(heading(page)).to_have_text(headings[1])
        give_details(page)
        expect(heading(page)).to_have_text(headings[2])
        no_car(page)
        expect(heading(page)).to_have_text(headings[3])
        confirm(page)
        page.wait_for_url(ROOM_PAGE)

        expect(page.locator("#pin-heading")).to_have_text(pin_heading)
        expect(page.locator(".pin")).to_have_text(re.compile("^[0-9]{4}$"))
        # The arrival day's weekday and month in the guest's language, at the property's 15:00.
        validity = page.locator(".pin-card > p", has_text=valid_from).inner_text()
        for part in (format_date(arrival, "EEE", locale=locale), format_date(arrival, "MMM", locale=locale), "15:00"):
            assert part in validity, f"{part!r} is not in {validity!r}"
        # Owner-entered text stays as written.
        expect(page.locator(".owner-text")).to_have_text("Up the stairs, first door on the left.")
        expect(page.locator(".room-name")).to_have_text("Room 1, First floor")
    finally:
        phone.close()
