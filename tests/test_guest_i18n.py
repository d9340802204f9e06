"""The guest's language: catalogues complete and compiled, the choice of language, dates, the room
page's offline and home-screen pieces."""
import json
import re
from datetime import date, datetime, time, timezone
from pathlib import Path

import pytest
from babel.dates import format_time
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from conftest import Guest
from flask import render_template_string

from checkin.extensions import db
from checkin.i18n import LANGUAGE_COOKIE, LANGUAGES, guest_language
from checkin.models import Booking
from checkin.services.demo import load_demo_data
from checkin.stays import stay_window
from checkin.templating import long_date, property_datetime, word_list

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = PROJECT_ROOT / "checkin" / "translations"
TRANSLATED = [language for language in LANGUAGES.values() if language.code != "en"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def template_ids() -> set[str]:
    """The singular msgid of every entry in messages.pot."""
    with open(TRANSLATIONS / "messages.pot", "rb") as pot:
        return {message.id if isinstance(message.id, str) else message.id[0] for message in read_po(pot)} - {""}


def as_key(text):
    return text if isinstance(text, str) else tuple(text)


def catalogue_ids(path: Path) -> set:
    """Every msgid in a catalogue, a plural one as (singular, plural)."""
    with open(path, "rb") as catalogue:
        return {as_key(message.id) for message in read_po(catalogue)} - {""}


def test_the_template_catalogue_is_up_to_date_with_the_code_and_templates(tmp_path):
    # pybabel extract as checkin/i18n.py runs it, into a file of the test's own.
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(PROJECT_ROOT / "babel.cfg"), "-k", "_l", "--no-location",
        "--omit-header", "-o", str(fresh), str(PROJECT_ROOT),
    ])
    assert catalogue_ids(fresh), "pybabel found no strings: is babel.cfg right?"
    assert catalogue_ids(fresh) == catalogue_ids(TRANSLATIONS / "messages.pot"), "run pybabel extract and update"


@pytest.mark.parametrize("language", TRANSLATED, ids=lambda language: language.code)
def test_every_string_is_translated_safely_and_compiled(language):
    messages = [message for message in catalog(language.locale) if message.id]
    assert {m.id if isinstance(m.id, str) else m.id[0] for m in messages} == template_ids(), "run pybabel update"
    for message in messages:
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings) and not message.fuzzy, f"{language.code}: untranslated {ids[0]!r}"
        for string in strings:
            # Same placeholders; nothing that could break HTML (translations are rendered as markup).
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(ids[-1])), string
            assert not set(string) & set('<>&"'), f"{language.code}: {string!r}"
    with open(TRANSLATIONS / language.locale / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = {as_key(m.id): as_key(m.string) for m in read_mo(mo) if m.id}
    assert compiled == {as_key(m.id): as_key(m.string) for m in messages}, "run pybabel compile (.mo is committed)"


BROWSER_LANGUAGES = {
    "fr-CA,fr;q=0.9,en;q=0.5": "fr",
    "de-AT": "de",
    "es-419": "es",
    "it": "it",
    "en-US,pl;q=0.5": "en-GB",
    "ru,pl-PL;q=0.9": "pl",
    "zh-CN,zh;q=0.9": "zh-Hans",
    "zh-TW": "zh-Hans",
    "nl-BE,fr;q=0.8": "nl",
    "pt-PT": "pt",
    "ar-EG": "ar",
    "ja-JP": "en-GB",
    "": "en-GB",
}


def test_language_follows_the_browser(client):
    for accept_language, lang in BROWSER_LANGUAGES.items():
        response = client.get("/", headers={"Accept-Language": accept_language})
        direction = "rtl" if lang == "ar" else "ltr"
        assert f'<html lang="{lang}" dir="{direction}">'.encode() in response.data, accept_language
        assert "Accept-Language" in response.headers["Vary"]


def test_switching_remembers_the_choice_and_returns_to_the_same_address(client):
    response = client.get("/details?from=review&lang=pl", headers={"Accept-Language": "fr"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/details?from=review"
    cookie = client.get_cookie(LANGUAGE_COOKIE)
    assert cookie.value == "pl" and cookie.http_only and cookie.same_site == "Lax"
    page = client.get("/", headers={"Accept-Language": "fr"})
    assert b'<html lang="pl" dir="ltr">' in page.data and b"Znajd\xc5\xba swoj\xc4\x85 rezerwacj\xc4\x99" in page.data


def test_switching_never_leads_to_another_site(client):
    double_slash = {"PATH_INFO": "//evil.example/"}  # as a raw request line "GET //evil.example/" gives
    response = client.get("/", query_string="lang=fr", environ_overrides=double_slash)
    assert response.headers["Location"] == "/evil.example/"
    page = client.get("/", environ_overrides=double_slash)
    assert page.status_code == 404 and b'href="/evil.example/?lang=de"' in page.data
    assert b'href="//' not in page.data


def test_unknown_language_or_a_post_is_no_switch(client):
    assert client.get("/?lang=xx").status_code == 200
    assert client.get_cookie(LANGUAGE_COOKIE) is None


def test_every_page_links_to_every_language_with_its_own_name(client):
    page = client.get("/nowhere?lang=x").data.decode()
    for language in LANGUAGES.values():
        assert re.search(f'hreflang="{language.html_lang}"[^>]*>{language.name}</a>', page)
        assert f"/nowhere?lang=x&amp;lang={language.code}" not in page
        assert f'href="/nowhere?lang={language.code}"' in page


def test_form_errors_and_labels_in_the_guests_language(client, demo):
    client.set_cookie(LANGUAGE_COOKIE, "de")
    response = Guest(client).find_booking(reference="AB/12", surname="")
    page = response.data.decode()
    assert '<h2 id="error-summary-title">Es gibt ein Problem</h2>' in page
    assert 'id="reference-error">Eine Buchungsnummer enthält nur Buchstaben, Ziffern und Bindestriche' in page
    assert '<a href="#surname">Geben Sie den Nachnamen ein' in page
    assert '<label for="reference">Buchungsnummer</label>' in page
    assert 'value="Buchung finden"' in page
    assert 'autocapitalize="characters"' in page and 'autocomplete="family-name"' in page


def test_inputs_bring_up_the_right_keyboard_and_autofill(guest, demo):
    find = guest.client.get("/").data.decode()
    # Platform references have letters (HMZ4HZCAP8): the full keyboard, in capitals.
    assert re.search(r'<input [^>]*autocapitalize="characters"[^>]*autocomplete="off"[^>]*id="reference"', find)
    assert re.search(r'<input [^>]*autocomplete="family-name"[^>]*id="surname"', find)
    guest.find_booking()
    details = guest.client.get("/details").data.decode()
    assert re.search(r'<input [^>]*autocomplete="name"[^>]*id="full_name"', details)
    assert re.search(r'<input [^>]*autocomplete="tel"[^>]*id="phone" inputmode="tel"[^>]*type="tel"', details)
    assert re.search(r'<input [^>]*autocomplete="email"[^>]*id="email" inputmode="email"[^>]*type="email"', details)


def test_not_found_message_in_the_guests_language_and_escaped(client, demo):
    client.set_cookie(LANGUAGE_COOKIE, "it")
    page = Guest(client).find_booking(surname="Nobody").data.decode()
    assert "Non troviamo una prenotazione con questo numero e questo cognome." in page
    client.set_cookie(LANGUAGE_COOKIE, "en")
    assert "We can&#39;t find a booking" in Guest(client).find_booking(surname="Nobody").data.decode()


LONDON_SUMMER = datetime(2026, 7, 14, 14, 0, tzinfo=timezone.utc)  # 15:00 BST


@pytest.mark.parametrize(
    ("code", "moment", "day"),
    [
        ("en", "Tue, 14 Jul 2026, 15:00 BST", "Tuesday, 14 July 2026"),
        ("fr", "mar. 14 juil. 2026, 15:00 UTC+1", "mardi 14 juillet 2026"),
        ("de", "Di., 14. Juli 2026, 15:00 UTC+1", "Dienstag, 14. Juli 2026"),
        ("es", "mar, 14 jul 2026, 15:00 UTC+1", "martes, 14 de julio de 2026"),
        ("it", "mar 14 lug 2026, 15:00 UTC+1", "martedì 14 luglio 2026"),
        ("pl", "wt., 14 lip 2026, 15:00 UTC+1", "wtorek, 14 lipca 2026"),
        ("zh", "2026年7月14日周二 15:00 UTC+1", "2026年7月14日星期二"),
        ("nl", "di 14 jul 2026, 15:00 UTC+1", "dinsdag 14 juli 2026"),
        ("pt", "ter., 14 de jul. de 2026 15:00 UTC+1", "terça-feira, 14 de julho de 2026"),
        # Arabic keeps Western digits and its own 12-hour clock (م: afternoon).
        ("ar", "الثلاثاء، 14 يوليو 2026، 3:00 م UTC+1", "الثلاثاء، 14 يوليو 2026"),
    ],
)
def test_dates_in_the_guests_language_and_the_propertys_zone(app, code, moment, day):
    with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}={code}"}):
        assert property_datetime(LONDON_SUMMER) == moment
        assert long_date(date(2026, 7, 14)) == day


def test_dates_follow_the_property_zone_not_the_servers(app):
    app.config["PROPERTY_TIMEZONE"] = "Asia/Tokyo"
    with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}=fr"}):
        assert property_datetime(LONDON_SUMMER) == "mar. 14 juil. 2026, 23:00 UTC+9"
        assert word_list(["Porte", "Chambre 1"]) == "Porte et Chambre 1"


def test_dates_outside_a_request_are_in_english(app):
    with app.app_context():
        assert property_datetime(LONDON_SUMMER) == "Tue, 14 Jul 2026, 15:00 BST"


def room_page(app, guest, language: str):
    """The room page a guest gets after checking in in this language."""
    guest.client.set_cookie(LANGUAGE_COOKIE, language)
    guest.find_booking()
    guest.give_details()
    guest.give_parking(None)
    app.extensions["pin_jobs"].wait(1, 5)
    return guest.client.get(guest.confirm().headers["Location"])


def test_room_page_helps_with_the_keypad_and_keeps_owner_text_as_written(app, client, demo):
    for language in LANGUAGES.values():
        with app.app_context():
            load_demo_data()  # a new stay for each language
        response = room_page(app, Guest(app.test_client()), language.code)
        page = response.data.decode()
        pin = re.search(r'<p class="pin" dir="ltr" aria-hidden="true">([0-9]{4})</p>', page).group(1)
        start = page.index('<details class="help">')
        help_box = page[start : page.index("</details>", start)]
        assert f'<span dir="ltr">{" ".join(pin)}</span>' in help_box, language.code  # the digits to type, in order
        assert "#" in help_box and "tel:" in help_box and "https://wa.me/" in help_box
        for key in ("CHECK_IN_TIME", "CHECK_OUT_TIME"):  # 15:00, or 3:00 م in Arabic
            assert format_time(time.fromisoformat(app.config[key]), "short", locale=language.locale) in help_box
        for owner_text in ("Up the stairs, first door on the left.", "Example-Guest", "Room 1, First floor"):
            assert owner_text in page, language.code
        assert f'<html lang="{language.html_lang}" dir="{language.direction}">' in page


def test_room_page_carries_what_the_worker_needs(app, guest, demo):
    response = room_page(app, guest, "en")
    page = response.data.decode()
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    keep_until = int(re.search(r'data-keep-until="([0-9]+)"', page).group(1))
    with app.app_context():
        check_out = stay_window(db.session.get(Booking, 1))[1]
    assert keep_until == int(check_out.timestamp() * 1000)
    assert re.search(r'Updated <time datetime="[^"]+">[0-9]{2}:[0-9]{2}</time>', page)
    assert '<link rel="manifest" href="/room/manifest.webmanifest">' in page
    assert 'id="install-button" hidden' in page


def test_service_worker_is_served_for_the_room_pages(client):
    with client.get("/room/service-worker.js") as response:
        response.direct_passthrough = False
        body = response.get_data()
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b"no-store" in body  # the comment that says why a copy is acceptable
    assert "Service-Worker-Allowed" not in response.headers  # /room/ is its own folder


def test_manifest_names_the_property_and_lets_the_app_open_the_room_page(client):
    response = client.get("/room/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "The Example Guesthouse"
    assert manifest["scope"] == "/room/" and "start_url" not in manifest
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200 and image.mimetype == "image/png"


def test_owner_pages_stay_in_english_whatever_the_guest_chose(app):
    rule = next(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("owner.") and not rule.arguments),
        None,
    )
    if rule is None:
        pytest.skip("no owner pages in this app")
    with app.test_request_context(rule.rule, headers={"Cookie": f"{LANGUAGE_COOKIE}=fr"}):
        assert guest_language().code == "en"
        assert render_template_string("{{ _('Change') }}") == "Change"
    with app.test_request_context("/", headers={"Cookie": f"{LANGUAGE_COOKIE}=fr"}):
        assert render_template_string("{{ _('Change') }}") == "Modifier"
