"""The owner's pages stay in English, with dates and numbers in the property's locale."""
import pytest
from babel.dates import format_date, format_skeleton
from conftest import make_app
from flask import render_template_string

from checkin.clock import property_today
from checkin.config import InvalidSetting
from checkin.i18n import LANGUAGE_COOKIE

PROPERTY_LOCALE = "de_DE"


@pytest.fixture
def app_config():
    return {"PROPERTY_LOCALE": PROPERTY_LOCALE}


def test_owner_pages_are_in_english_with_the_propertys_dates_and_numbers(app, client, owner, demo):
    client.set_cookie(LANGUAGE_COOKIE, "fr")  # a guest's choice on this browser changes nothing here
    with app.app_context():
        today = property_today()
    dashboard = client.get("/owner/").get_data(as_text=True)
    # "Dienstag, 1. Dezember 2026", "01.12.2026"
    assert f"Today, {format_date(today, 'full', locale=PROPERTY_LOCALE)}</h1>" in dashboard
    bookings = client.get("/owner/bookings").get_data(as_text=True)
    assert f"{format_skeleton('yMMMd', today, locale=PROPERTY_LOCALE)} to " in bookings
    assert '<html lang="en-GB" dir="ltr">' in bookings
    with app.test_request_context("/owner/"):
        assert render_template_string("{{ 12345.5 | number }} {{ _('Change') }}") == "12.345,5 Change"


def test_guest_pages_keep_the_guests_own_formats(app):
    with app.test_request_context("/", headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}):
        assert render_template_string("{{ 12345.5 | number }}") == "12,345.5"


def test_an_unknown_property_locale_stops_the_app_at_start(tmp_path):
    with pytest.raises(InvalidSetting, match="PROPERTY_LOCALE .* is not a locale Babel knows"):
        make_app(tmp_path, PROPERTY_LOCALE="xx_XX")
