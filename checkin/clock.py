"""Explicit time: UTC inside the app, the property's zone for guests, epoch ms for TTLock."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def utc_now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


def property_zone() -> ZoneInfo:
    """The property's time zone from config."""
    return ZoneInfo(current_app.config["PROPERTY_TIMEZONE"])


def property_today() -> date:
    """Today's date at the property, which need not be the server's date."""
    return utc_now().astimezone(property_zone()).date()


def parse_clock_time(value: str) -> time:
    """'15:00' -> time(15, 0); config keeps check-in and check-out times as text."""
    return time.fromisoformat(value)


def at_property_time(day: date, clock_time: str) -> datetime:
    """A local wall-clock time on a day at the property, as an aware datetime."""
    return datetime.combine(day, parse_clock_time(clock_time), tzinfo=property_zone())


def to_epoch_ms(moment: datetime) -> int:
    """An aware datetime as epoch milliseconds, the unit the lock cloud wants."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the instant is ambiguous")
    return int(moment.timestamp() * 1000)
