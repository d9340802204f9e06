"""Template filters: dates in the guest's language and the property's zone, digits for wa.me links.

The owner's pages are in English, with dates and numbers in the property's locale (PROPERTY_LOCALE).
"""
import re
from datetime import date, datetime

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from markupsafe import Markup

from .clock import property_zone, utc_now
from .i18n import UNTRANSLATED_BLUEPRINTS

ENGLISH = Locale.parse("en_GB")


def init_app(app: Flask) -> None:
    app.add_template_filter(property_datetime)
    app.add_template_filter(property_time)
    app.add_template_filter(long_date)
    app.add_template_filter(short_date)
    app.add_template_filter(number)
    app.add_template_filter(percent)
    app.add_template_filter(digits_only)
    app.add_template_filter(word_list)
    app.add_template_filter(ltr)
    app.add_template_global(utc_now)


def property_datetime(moment: datetime) -> str:
    """'Tue, 24 Nov 2026, 15:00 GMT', 'mar. 24 nov. 2026, 15:00 UTC': the property's wall clock."""
    locale = _locale()
    local = moment.astimezone(property_zone())
    day = format_skeleton("yMMMEd", local, locale=locale)
    clock = f"{format_time(local, 'short', locale=locale)} {_zone_name(local, locale)}"
    # The locale joins date and time: "{1}, {0}" in most, "{1} {0}" in Chinese.
    return get_datetime_format("medium", locale=locale).replace("{1}", day).replace("{0}", clock)


def property_time(moment: datetime) -> str:
    """'21:04': the property's wall clock, in the guest's language."""
    return format_time(moment.astimezone(property_zone()), "short", locale=_locale())


def long_date(day: date) -> str:
    """'Tuesday, 24 November 2026', 'mardi 24 novembre 2026'."""
    return format_date(day, "full", locale=_locale())


def short_date(day: date) -> str:
    """'24 Nov 2026', '24 nov. 2026', 'Nov 24, 2026' (en_US)."""
    return format_skeleton("yMMMd", day, locale=_locale())


def number(value) -> str:
    """'10,000', '10 000' (fr), '10.000' (de)."""
    return format_decimal(value, locale=_locale())


def percent(share: float) -> str:
    """0.75 -> '75%', '75 %' (fr, de)."""
    return format_percent(share, locale=_locale())


def word_list(words: list[str]) -> str:
    """['Front door', 'Room 1 door'] -> 'Front door and Room 1 door', 'Front door et Room 1 door'."""
    return format_list(list(words), locale=_locale())


def ltr(text) -> Markup:
    """A PIN, phone number or reference kept left to right inside Arabic text ("1 2 3 4", not "4 3 2 1")."""
    return Markup('<span dir="ltr">%s</span>') % text


def digits_only(text: str) -> str:
    """'+44 20 7946 0000' -> '442079460000', the form wa.me wants."""
    return re.sub("[^0-9]", "", text or "")


def _locale() -> Locale:
    """The guest's language; on the owner's pages the property's locale; outside a request
    (an alert, a CLI command) British English."""
    if has_request_context() and request.blueprint in UNTRANSLATED_BLUEPRINTS:
        return Locale.parse(current_app.config["PROPERTY_LOCALE"])
    return get_locale() or ENGLISH


def _zone_name(local: datetime, locale: Locale) -> str:
    """'BST' where the locale has a short name for the zone, else 'UTC+1' (never '+0100')."""
    name = format_time(local, "z", locale=locale)
    if name[:1] not in "+-":
        return name
    minutes = int(local.utcoffset().total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")
