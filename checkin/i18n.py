"""The guest's language: chosen from the browser, switchable on every page, remembered for the stay.

Guest pages are in English, French, German, Spanish, Italian, Polish, Dutch, Portuguese (Brazil),
Chinese (Simplified) and Arabic, which reads right to left: its pages are mirrored, while codes,
phone numbers and references stay left to right (the `ltr` filter in checkin/templating.py).
Owner-entered text (property name, room directions, Wi-Fi) is shown as written.

Translations live in checkin/translations/<locale>/LC_MESSAGES/messages.po, with the compiled
messages.mo committed beside each. After changing a guest-visible string:

    pybabel extract -F babel.cfg -k _l --no-location --omit-header --sort-output -o checkin/translations/messages.pot .
    pybabel update -i checkin/translations/messages.pot -d checkin/translations --no-fuzzy-matching --width 100
    (translate the new entries in each messages.po: short, natural, no ASCII double quotes)
    pybabel compile -d checkin/translations --statistics

tests/test_guest_i18n.py fails while a string is untranslated or a .mo is stale.
"""
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Flask, current_app, g, has_request_context, redirect, request, url_for
from flask_babel import Babel

from .local_paths import local_path

babel = Babel()


@dataclass(frozen=True)
class Language:
    code: str  # in ?lang= and the cookie
    locale: str  # Babel's locale: translations and date formats
    html_lang: str  # BCP 47, for <html lang> and hreflang
    name: str  # in its own language, as a guest looks for it
    direction: str = "ltr"  # <html dir>: "rtl" mirrors the layout


LANGUAGES = {
    language.code: language
    for language in (
        # British conventions (24-hour clock, day before month) for the English of a guesthouse.
        Language("en", "en_GB", "en-GB", "English"),
        Language("fr", "fr", "fr", "Français"),
        Language("de", "de", "de", "Deutsch"),
        Language("es", "es", "es", "Español"),
        Language("it", "it", "it", "Italiano"),
        Language("pl", "pl", "pl", "Polski"),
        Language("nl", "nl", "nl", "Nederlands"),
        # CLDR's "pt" is Brazil's Portuguese: the words and the date formats agree.
        Language("pt", "pt", "pt", "Português"),
        Language("zh", "zh_Hans", "zh-Hans", "中文（简体）"),
        Language("ar", "ar", "ar", "العربية", direction="rtl"),
    )
}
DEFAULT_LANGUAGE = LANGUAGES["en"]
# Switch with ?lang=CODE on any page; the choice lasts for a stay, across browser restarts.
LANGUAGE_PARAMETER = "lang"
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 30 * 24 * 60 * 60
# The owner's pages are written in English only: they keep English whatever a guest chose.
UNTRANSLATED_BLUEPRINTS = {"owner"}


def init_app(app: Flask) -> None:
    babel.init_app(app, default_locale=DEFAULT_LANGUAGE.locale, locale_selector=selected_locale)
    app.before_request(_switch_language)
    app.after_request(_vary_on_language)
    app.context_processor(_language_context)


def guest_language() -> Language:
    """The language of this request: the guest's choice, else the browser's preference, else English."""
    if "guest_language" not in g:
        g.guest_language = _choose_language()
    return g.guest_language


def selected_locale() -> str:
    """Flask-Babel's locale selector; outside a request (CLI, jobs) English."""
    if not has_request_context():
        return DEFAULT_LANGUAGE.locale
    return guest_language().locale


def _choose_language() -> Language:
    if request.blueprint in UNTRANSLATED_BLUEPRINTS:
        return DEFAULT_LANGUAGE
    chosen = LANGUAGES.get(request.cookies.get(LANGUAGE_COOKIE, ""))
    if chosen is not None:
        return chosen
    # In the browser's order of preference, by primary subtag: fr-CA finds fr, zh-TW finds zh.
    # (Werkzeug's best_match would prefer an exact "pl" at q=0.5 to "en-US" at q=1.)
    for tag, quality in request.accept_languages:
        language = LANGUAGES.get(tag.lower().replace("_", "-").split("-")[0])
        if language is not None and quality > 0:
            return language
    return DEFAULT_LANGUAGE


def _switch_language():
    """GET ?lang=fr: remember French, then show the same page at its own address (no ?lang)."""
    code = request.args.get(LANGUAGE_PARAMETER)
    if request.method != "GET" or code not in LANGUAGES:
        return None
    response = redirect(_address_without_language(), 303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    # The room page's address is a key: keep the redirect out of caches like the page itself.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _address_without_language() -> str:
    """This page's path and query, less ?lang: the same page, so never a redirect elsewhere."""
    query = _query_without_language()
    return _this_path() + ("?" + urlencode(query) if query else "")


def _this_path() -> str:
    return request.script_root + local_path(request.path)


def _query_without_language() -> list[tuple[str, str]]:
    return [(key, value) for key, value in request.args.items(multi=True) if key != LANGUAGE_PARAMETER]


def language_switch_url(code: str) -> str:
    """A link that shows this page in another language.

    A page rendered for a POST-only address (an expired Confirm) links to the start instead,
    since a GET there would only find "method not allowed".
    """
    path = _this_path() if _accepts_get() else url_for("guest.find_booking")
    return path + "?" + urlencode(_query_without_language() + [(LANGUAGE_PARAMETER, code)])


def _accepts_get() -> bool:
    # No rule matched (a 404): the same address in another language is the same error page.
    return request.url_rule is None or "GET" in request.url_rule.methods


def _vary_on_language(response):
    """A page in the guest's language depends on their cookie and browser: say so to caches."""
    if "guest_language" in g:
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def _language_context() -> dict:
    if not has_request_context():
        return {}
    current = guest_language()
    menu = [] if request.blueprint in UNTRANSLATED_BLUEPRINTS else list(LANGUAGES.values())
    return {
        "current_language": current,
        "language_menu": menu,
        "language_switch_url": language_switch_url,
    }
