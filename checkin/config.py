"""The app's settings, each with a declared type, checked once at start-up.

Layers, each over the one before: the defaults below, instance/config.py (Python, `KEY = value`),
CHECKIN_* environment variables (text, parsed by each setting's type, so a digits-only password
stays text), then the dict given to create_app. A wrong value stops the app with one line that
names the setting, says what is wrong and gives an example. Keys not declared here (Flask's,
Flask-SQLAlchemy's, Flask-WTF's own) pass through as before, CHECKIN_* ones read as JSON.
"""
import json
import re
from datetime import time
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel import Locale, UnknownLocaleError
from flask import Config
from pydantic import Field, ValidationError, field_serializer, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    SettingsConfigDict,
)

ENV_PREFIX = "CHECKIN_"
INSTANCE_FILE = "instance/config.py"

# Defaults for Flask's own keys that the app relies on; an owner's layer may still change them.
FLASK_DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}
WEAK_SECRET_KEYS = {"dev", "change-me", "changeme", "secret", "..."}


class InvalidSetting(RuntimeError):
    """A setting is missing or wrong; the message is one line for the owner."""


def _list_from_text(value: Any) -> Any:
    """A list written as JSON (`[5, 15, 60]`) or comma-separated (`5,15,60`); empty is []."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("is not a JSON list") from None
    return [item.strip() for item in text.split(",") if item.strip()]


Seconds = Annotated[float, Field(ge=0)]
PositiveSeconds = Annotated[float, Field(gt=0)]


class Settings(BaseSettings):
    """Every setting of the app: its type, default and an example of a right value."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, case_sensitive=True, extra="ignore", coerce_numbers_to_str=True,
    )

    # No default: sessions, CSRF and room links rest on it; every worker must share it.
    SECRET_KEY: str = Field(examples=["<64 random hex digits>"])
    SQLALCHEMY_DATABASE_URI: str | None = Field(None, examples=["sqlite:////srv/checkin/instance/checkin.sqlite"])
    SESSION_COOKIE_SECURE: bool = Field(True, examples=["true"])
    WTF_CSRF_TIME_LIMIT: Annotated[int, Field(gt=0)] | None = Field(3 * 60 * 60, examples=["10800"])
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field("INFO", examples=["INFO"])

    PROPERTY_NAME: str = Field("The Example Guesthouse", examples=["The Example Guesthouse"])
    PROPERTY_TIMEZONE: str = Field("Europe/London", examples=["Europe/London"])
    # Babel locale of dates and numbers on the owner's pages, which stay in English.
    PROPERTY_LOCALE: str = Field("en_GB", examples=["en_GB", "de_DE"])
    CHECK_IN_TIME: time = Field(time(15, 0), examples=["15:00"])
    CHECK_OUT_TIME: time = Field(time(11, 0), examples=["11:00"])
    EARLY_CHECK_IN_DAYS: Annotated[int, Field(ge=0)] = Field(0, examples=["0"])
    DEFAULT_PHONE_REGION: str = Field("GB", examples=["GB"])

    CONTACT_PHONE: str = Field("+44 20 7946 0000", examples=["+44 20 7946 0000"])
    CONTACT_EMAIL: str = Field("stay@example.com", examples=["stay@example.com"])
    CONTACT_WHATSAPP: str = Field("+44 20 7946 0000", examples=["442079460000"])

    ALERT_WEBHOOK_URL: str | None = Field(None, examples=["https://ntfy.sh/"])
    ALERT_WEBHOOK_TOPIC: str | None = Field(None, examples=["my-guesthouse-alerts"])
    ALERT_WEBHOOK_TIMEOUT: PositiveSeconds = Field(10.0, examples=["10"])
    MAIL_SERVER: str | None = Field(None, examples=["smtp.example.com"])
    MAIL_PORT: Annotated[int, Field(ge=1, le=65535)] = Field(587, examples=["587"])
    MAIL_STARTTLS: bool = Field(True, examples=["true"])
    MAIL_USERNAME: str | None = Field(None, examples=["alerts@example.com"])
    MAIL_PASSWORD: str | None = Field(None, examples=["your SMTP password"])
    MAIL_SENDER: str | None = Field(None, examples=["alerts@example.com"])
    MAIL_TIMEOUT: PositiveSeconds = Field(10.0, examples=["10"])
    ALERT_EMAIL: str | None = Field(None, examples=["owner@example.com"])
    ALERT_RETRY_SECONDS: Seconds = Field(30.0, examples=["30"])
    ALERT_MAX_ATTEMPTS: Annotated[int, Field(ge=1)] = Field(8, examples=["8"])

    # No default: an owner must choose real locks, or the demo's simulated ones, on purpose.
    LOCK_BACKEND: Literal["simulated", "ttlock"] = Field(examples=["ttlock"])
    SIMULATED_LOCK_LATENCY: Seconds = Field(3.0, examples=["3"])
    SIMULATED_LOCK_FAILURE_RATE: Annotated[float, Field(ge=0, le=1)] = Field(0.0, examples=["0.1"])
    SIMULATED_LOCK_OFFLINE: Annotated[list[int], NoDecode] = Field([], examples=["2001,2002"])
    TTLOCK_BASE_URL: str = Field("https://euapi.ttlock.com", examples=["https://euapi.ttlock.com"])
    TTLOCK_CLIENT_ID: str | None = Field(None, examples=["the client_id of your app on euopen.ttlock.com"])
    TTLOCK_CLIENT_SECRET: str | None = Field(None, examples=["the client_secret of your app on euopen.ttlock.com"])
    TTLOCK_USERNAME: str | None = Field(None, examples=["you@example.com"])
    TTLOCK_PASSWORD: str | None = Field(None, examples=["the TTLock app account's password"])
    TTLOCK_CONNECT_TIMEOUT: PositiveSeconds = Field(10.0, examples=["10"])
    # A gateway takes seconds to wake a lock, and a call cut short may still have written the PIN.
    TTLOCK_READ_TIMEOUT: Annotated[float, Field(ge=30)] = Field(40.0, examples=["40"])
    TTLOCK_BUSY_BACKOFF: Annotated[list[Seconds], NoDecode] = Field([5, 15, 60], examples=["5,15,60"])
    # Renew the TTLock access token this many days before it expires (it lasts 90).
    TTLOCK_RENEW_DAYS_BEFORE_EXPIRY: Annotated[int, Field(ge=0, le=30)] = Field(7, examples=["7"])
    LOCK_QUEUE_DIR: str | None = Field(None, examples=["/srv/checkin/instance/lock-queues"])

    # Wrong surnames on "find your booking", counted per client (an IPv4 address or IPv6 /64).
    LOOKUP_MISSES_PER_REFERENCE: Annotated[int, Field(ge=1)] = Field(10, examples=["10"])  # a day, one reference
    LOOKUP_LIMIT_PER_IP_MINUTE: Annotated[int, Field(ge=1)] = Field(5, examples=["5"])
    LOOKUP_LIMIT_PER_IP_HOUR: Annotated[int, Field(ge=1)] = Field(20, examples=["20"])
    # Misses on one booking in a day, from two or more clients, before the owner is alerted.
    LOOKUP_MISSES_ALERT: Annotated[int, Field(ge=1)] = Field(20, examples=["20"])
    # Largest request body in bytes; the owner's CSV import (and its Apply) may send more.
    MAX_CONTENT_LENGTH: Annotated[int, Field(ge=1)] = Field(1024 * 1024, examples=["1048576"])
    IMPORT_MAX_CONTENT_LENGTH: Annotated[int, Field(ge=1)] = Field(10 * 1024 * 1024, examples=["10485760"])
    GUEST_PIN_RETRIES_PER_HOUR: Annotated[int, Field(ge=0)] = Field(3, examples=["3"])
    # A guest's session (which check-in this browser holds) ends after this long without a request.
    GUEST_SESSION_IDLE_SECONDS: Annotated[int, Field(ge=60)] = Field(2 * 60 * 60, examples=["7200"])
    PROXY_COUNT: Annotated[int, Field(ge=0)] = Field(0, examples=["1"])
    # Days after check-out until a guest's name, phone, e-mail and car are erased (the purge).
    RETAIN_GUEST_DATA_DAYS: Annotated[int, Field(ge=1)] = Field(30, examples=["30"])

    # Rooms' calendars on the platforms (flask sync-calendars, run by the maintenance timer).
    CALENDAR_SYNC_MINUTES: Annotated[int, Field(ge=1)] = Field(15, examples=["15"])  # a calendar read more recently is skipped
    CALENDAR_TIMEOUT_SECONDS: PositiveSeconds = Field(20.0, examples=["20"])  # to connect, and between bytes
    CALENDAR_ALERT_AFTER_FAILURES: Annotated[int, Field(ge=1)] = Field(3, examples=["3"])  # failed reads in a row

    # When the maintenance timer checks tonight's locks each day (property time; see `locks check`).
    READINESS_CHECK_AT: time = Field(time(12, 0), examples=["12:00"])

    PIN_JOB_THREADS: Annotated[int, Field(ge=1)] = Field(4, examples=["4"])
    PIN_JOB_HEARTBEAT_SECONDS: PositiveSeconds = Field(5.0, examples=["5"])
    PIN_JOB_STALE_SECONDS: Seconds = Field(30.0, examples=["30"])
    PIN_ATTEMPTS: Annotated[int, Field(ge=1)] = Field(2, examples=["2"])
    PIN_RETRY_DELAY_SECONDS: Seconds = Field(3.0, examples=["3"])
    CONFIRM_WAIT_SECONDS: Seconds = Field(2.0, examples=["2"])
    ALMOST_READY_REFRESH_SECONDS: Annotated[int, Field(ge=1)] = Field(2, examples=["2"])

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **other_sources):
        # load_settings layers the sources itself, to know where each value came from.
        return (init_settings,)

    @field_validator("SECRET_KEY")
    @classmethod
    def _strong_secret_key(cls, key: str) -> str:
        if key.strip().lower() in WEAK_SECRET_KEYS or len(key) < 16:
            raise ValueError("is too short or a placeholder: use at least 16 random characters")
        return key

    @field_validator("LOG_LEVEL", "DEFAULT_PHONE_REGION", mode="before")
    @classmethod
    def _upper_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("LOCK_BACKEND", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("PROPERTY_TIMEZONE")
    @classmethod
    def _known_time_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not an IANA time zone name") from None
        return name

    @field_validator("PROPERTY_LOCALE")
    @classmethod
    def _known_locale(cls, name: str) -> str:
        try:
            Locale.parse(name)
        except (ValueError, UnknownLocaleError):
            raise ValueError("is not a locale Babel knows") from None
        return name

    @field_validator("DEFAULT_PHONE_REGION")
    @classmethod
    def _known_region(cls, region: str) -> str:
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("is not a two-letter country code")
        return region

    @field_validator("ALERT_WEBHOOK_URL", "TTLOCK_BASE_URL")
    @classmethod
    def _web_address(cls, url: str | None) -> str | None:
        if url and not re.match(r"https?://[^/\s]+", url):
            raise ValueError("is not a web address starting with https://")
        return url

    @field_validator("SIMULATED_LOCK_OFFLINE", "TTLOCK_BUSY_BACKOFF", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return _list_from_text(value)

    @field_serializer("CHECK_IN_TIME", "CHECK_OUT_TIME", "READINESS_CHECK_AT")
    def _clock_text(self, moment: time) -> str:
        # The rest of the app keeps clock times as "HH:MM" text.
        return moment.isoformat(timespec="minutes")


SETTINGS = set(Settings.model_fields)
MISSING = {
    "SECRET_KEY": "is not set: make one with python3 -c 'import secrets; print(secrets.token_hex(32))'",
    "LOCK_BACKEND": "is not set: choose ttlock for your TTLock locks, or simulated for a demo whose PINs open no door",
}
SECRET_SETTINGS = {"SECRET_KEY", "MAIL_PASSWORD", "TTLOCK_CLIENT_SECRET", "TTLOCK_PASSWORD"}
TTLOCK_CREDENTIALS = ("TTLOCK_CLIENT_ID", "TTLOCK_CLIENT_SECRET", "TTLOCK_USERNAME", "TTLOCK_PASSWORD")


class LoadedSettings:
    """The checked settings, where each came from, and the undeclared keys passed to Flask."""

    def __init__(self, settings: Settings, sources: dict[str, str], passthrough: dict[str, tuple[Any, str]]):
        self.settings = settings
        self.sources = sources
        self.passthrough = passthrough

    def flask_config(self) -> dict[str, Any]:
        return {
            **FLASK_DEFAULTS,
            **{key: value for key, (value, _) in self.passthrough.items()},
            **self.settings.model_dump(),
        }


def load_settings(instance_path: str, overrides: dict | None = None) -> LoadedSettings:
    """Read the layers and check every setting; InvalidSetting names the first wrong one."""
    overrides = dict(overrides or {})
    from_file = Config(instance_path)
    try:
        from_file.from_pyfile("config.py", silent=True)
    except Exception as error:  # the owner's Python: a typo there must not become a traceback
        raise InvalidSetting(
            f"{INSTANCE_FILE} could not be read: {error}. Each line is Python, for example: CHECK_IN_TIME = \"15:00\""
        ) from None
    from_env = EnvSettingsSource(Settings)()
    layers = [
        (INSTANCE_FILE, {k: v for k, v in from_file.items() if k in SETTINGS}),
        ("env", from_env),
        ("app", {k: v for k, v in overrides.items() if k in SETTINGS}),
    ]
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for source, layer in layers:
        for key, value in layer.items():
            values[key] = value
            sources[key] = ENV_PREFIX + key if source == "env" else source
    try:
        settings = Settings(**values)
    except ValidationError as error:
        raise InvalidSetting(_first_problem(error, values, sources)) from None
    if settings.LOCK_BACKEND == "ttlock":
        for key in TTLOCK_CREDENTIALS:
            if not getattr(settings, key):
                raise InvalidSetting(_line(key, None, sources, "must be set when LOCK_BACKEND is ttlock"))
    return LoadedSettings(settings, sources, _passthrough(from_file, overrides))


def _passthrough(from_file: Config, overrides: dict) -> dict[str, tuple[Any, str]]:
    from_env = Config(from_file.root_path)
    from_env.from_prefixed_env(ENV_PREFIX.rstrip("_"))  # JSON where it parses, as Flask reads them
    passthrough = {}
    for source, layer in ((INSTANCE_FILE, from_file), ("env", from_env), ("app", overrides)):
        for key, value in layer.items():
            if key not in SETTINGS:
                passthrough[key] = (value, ENV_PREFIX + key if source == "env" else source)
    return passthrough


def _first_problem(error: ValidationError, values: dict, sources: dict) -> str:
    problems = error.errors()
    first = problems[0]
    key = str(first["loc"][0])
    if first["type"] == "missing":
        what = MISSING.get(key, "is not set")
    else:
        what = first["msg"].removeprefix("Value error, ")
        what = what[0].lower() + what[1:]
    line = _line(key, values.get(key), sources, what)
    others = sorted({str(p["loc"][0]) for p in problems[1:]} - {key})
    if others:
        line += f" (also wrong: {', '.join(others)})"
    return line


def _line(key: str, value: Any, sources: dict, what: str) -> str:
    """`Setting KEY (from where) = value: what is wrong. For example: ...`, on one line."""
    example = Settings.model_fields[key].examples[0]
    source = sources.get(key)
    if source is None or source.startswith(ENV_PREFIX):
        where = f" (from {source})" if source else ""
        example_line = f"{ENV_PREFIX}{key}={example}"
        if not source:
            example_line += f", or {key} = {_python_example(key, example)} in {INSTANCE_FILE}"
    else:
        where = f" (from {source})"
        example_line = f"{key} = {_python_example(key, example)}"
    shown = "" if value is None else f" = {_shown(key, value)}:"
    return f"Setting {key}{where}{shown} {what}. For example: {example_line}".replace("\n", " ")


def _python_example(key: str, example: str) -> str:
    """The example as a line of instance/config.py would write it."""
    annotation = Settings.model_fields[key].annotation
    if annotation is bool:
        return str(example == "true")
    if "list" in str(annotation):
        return f"[{example.replace(',', ', ')}]"
    if annotation in (int, float, int | None):
        return example
    return repr(example)


def _shown(key: str, value: Any) -> str:
    return "<hidden>" if key in SECRET_SETTINGS else repr(value)


def masked(key: str, value: Any) -> str:
    """A setting's value for `config check`: secrets hidden, tokens in addresses too."""
    if value is None or value == "":
        return "(not set)"
    if key in SECRET_SETTINGS or re.search(r"SECRET|PASSWORD|TOKEN", key):
        return f"<hidden, {len(str(value))} characters>"
    if isinstance(value, str) and "://" in value:
        return repr(_masked_address(value))
    if isinstance(value, time):
        return repr(value.isoformat(timespec="minutes"))
    return repr(value)


def _masked_address(url: str) -> str:
    """Hide an address's password; hide the path and query of a web hook or a calendar feed,
    which carry its token (only a server's root, like TTLOCK_BASE_URL, stays whole)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "webcal") and (parts.path.strip("/") or parts.query):
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}/***"
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url
