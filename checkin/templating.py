"""Template filters: dates in the property's zone, digits for wa.me links."""
import re
from datetime import date, datetime

from flask import Flask

from .clock import property_zone


def init_app(app: Flask) -> None:
    app.add_template_filter(property_datetime)
    app.add_template_filter(long_date)
    app.add_template_filter(digits_only)


def property_datetime(moment: datetime) -> str:
    """'Tue 24 Nov 2026, 15:00 GMT': the property's wall clock, zone named."""
    local = moment.astimezone(property_zone())
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M %Z}"


def long_date(day: date) -> str:
    """'Tuesday 24 November 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def digits_only(text: str) -> str:
    """'+44 20 7946 0000' -> '442079460000', the form wa.me wants."""
    return re.sub("[^0-9]", "", text or "")
