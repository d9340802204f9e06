"""The whole check-in in each language, as the browser asks for it (the menu: test_accessibility)."""
import re
from datetime import time

import pytest
from babel.dates import format_date, format_time
from playwright.sync_api import expect

from checkin.extensions import db
from checkin.models import Booking
from guest_driver.browser import ROOM_PAGE, BrowserGuest

from .guest_journey import new_phone, serve_demo_app

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
    "nl-NL": ("nl", "nl", ["Uw boeking zoeken", "Uw gegevens", "Komt u met de auto?", "Controleer uw antwoorden"],
              "Uw deurcode", "Geldig van"),
    "pt-BR": ("pt", "pt", ["Encontre sua reserva", "Seus dados", "Você vem de carro?", "Confira suas respostas"],
              "Seu código da porta", "Válido de"),
    "ar-SA": ("ar", "ar", ["ابحث عن حجزك", "بياناتك", "هل ستأتي بسيارة؟", "راجع إجاباتك"],
              "رمز الباب الخاص بك", "صالح من"),
}


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """One server for the module (the tests are quicker); each test resets the demo."""
    # The lock cloud is instant: the PIN is ready by the time the guest confirms.
    with serve_demo_app(tmp_path_factory.mktemp("languages")) as (base_url, app, _):
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
        guest = BrowserGuest(page, base_url)  # it reads every label in the page's language
        guest.open()
        expect(page.locator("html")).to_have_attribute("lang", html_lang)
        expect(heading(page)).to_have_text(headings[0])
        guest.find_booking()
        expect(heading(page)).to_have_text(headings[1])
        guest.give_details()
        expect(heading(page)).to_have_text(headings[2])
        guest.no_car()
        expect(heading(page)).to_have_text(headings[3])
        guest.confirm()
        page.wait_for_url(ROOM_PAGE)

        expect(page.locator("#pin-heading")).to_have_text(pin_heading)
        expect(page.locator(".pin")).to_have_text(re.compile("^[0-9]{4}$"))
        # The arrival day's weekday and month in the guest's language, at the property's 15:00.
        validity = page.locator(".pin-card > p", has_text=valid_from).inner_text()
        parts = (format_date(arrival, "EEE", locale=locale), format_date(arrival, "MMM", locale=locale))
        for part in (*parts, format_time(time(15, 0), "short", locale=locale)):
            assert part in validity, f"{part!r} is not in {validity!r}"
        # Owner-entered text stays as written.
        expect(page.locator(".owner-text")).to_have_text("Up the stairs, first door on the left.")
        expect(page.locator(".room-name")).to_have_text("Room 1, First floor")
    finally:
        phone.close()


# Where an element's text is drawn: its first and last characters' boxes, left to right on screen.
TEXT_EDGES = """element => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const box = range.getBoundingClientRect(), own = element.getBoundingClientRect();
  return {textLeft: box.left, textRight: box.right, left: own.left, right: own.right};
}"""
# Where each digit (or +) of an element's text is drawn, in the text's order: [line's top, x].
# Digits drawn in order read line by line, each line from left to right: the list is sorted.
DIGIT_POSITIONS = """element => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT), positions = [];
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    for (let i = 0; i < text.length; i++) {
      if (!/[0-9+]/.test(text.data[i])) continue;
      const range = document.createRange();
      range.setStart(text, i);
      range.setEnd(text, i + 1);
      const box = range.getBoundingClientRect();
      positions.push([Math.round(box.top), box.left]);
    }
  }
  return positions;
}"""


def test_arabic_pages_are_mirrored_while_the_pin_reads_left_to_right(browser, demo_app):
    base_url, _ = demo_app
    phone = new_phone(browser, locale="ar", service_workers="block")
    try:
        page = phone.new_page()
        page.goto(base_url + "/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        # A heading starts on the right: its text hugs its box's right edge.
        edges = heading(page).evaluate(TEXT_EDGES)
        assert abs(edges["textRight"] - edges["right"]) < 1 and edges["textLeft"] > edges["left"] + 20, edges
        # The booking reference is typed left to right; the language menu sits on the left.
        assert page.eval_on_selector("#reference", "input => getComputedStyle(input).direction") == "ltr"
        menu, name = page.locator("details.languages").bounding_box(), page.locator(".property-name").bounding_box()
        assert menu["x"] < name["x"]
        # A field with an error is marked on its right, the start of an Arabic line.
        page.fill("#reference", "40321")
        page.locator("#submit").click()
        # Waits for the page with the error and its stylesheet: read at once, under load, the
        # field was sometimes not styled yet.
        marked = page.locator(".field-error").first
        expect(marked).to_have_css("border-right-width", "4px")
        expect(marked).to_have_css("border-left-width", "0px")

        guest = BrowserGuest(page, base_url)
        guest.find_booking()
        guest.give_details()
        guest.no_car()
        guest.confirm()
        page.wait_for_url(ROOM_PAGE)
        pin = page.locator(".pin")
        expect(pin).to_have_text(re.compile("^[0-9]{4}$"))  # Western digits
        assert pin.evaluate("pin => getComputedStyle(pin).direction") == "ltr"
        xs = pin.evaluate(DIGIT_POSITIONS)
        assert xs == sorted(xs), f"the PIN's digits are not drawn in order: {xs}"
        # The PIN sits at the start of the mirrored card, as the Arabic text around it does.
        card, digits = page.locator(".pin-card").bounding_box(), pin.evaluate(TEXT_EDGES)
        assert card["x"] + card["width"] - digits["textRight"] < digits["textLeft"] - card["x"], (digits, card)
        # The digits to type, spaced, in the help steps: in order too.
        page.click("details.help > summary")
        typed = page.locator("details.help li").nth(1)
        expect(typed).to_contain_text(" ".join(pin.inner_text()))
        xs = typed.evaluate(DIGIT_POSITIONS)
        assert xs == sorted(xs), f"the digits to type are not drawn in order: {xs}"
        # The phone number on the call button reads as it is dialled.
        number = page.locator("details.help a[href^='tel:']")
        expect(number).to_contain_text("+44 20 7946 0000")
        xs = number.evaluate(DIGIT_POSITIONS)
        assert xs == sorted(xs), f"the phone number is not drawn in order: {xs}"
    finally:
        phone.close()
