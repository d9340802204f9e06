"""Settings as an owner writes them: typed, layered, checked once at start-up, secrets masked."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Guest, make_app

from checkin import create_app
from checkin.config import InvalidSetting, masked
from checkin.database import upgrade_database
from checkin.extensions import db
from checkin.models import AlertOutbox
from checkin.services.demo import load_demo_data

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DIGITS_SECRET_KEY = "12345678901234567890123456789012"

# Every kind of setting as an owner types it into /etc/checkin/env: digits-only text included.
OWNER_ENV = {
    "CHECKIN_SECRET_KEY": DIGITS_SECRET_KEY,
    "CHECKIN_LOCK_BACKEND": "simulated",
    "CHECKIN_CONTACT_WHATSAPP": "442079460000",
    "CHECKIN_CONTACT_PHONE": "02079460000",
    "CHECKIN_TTLOCK_PASSWORD": "12345678",
    "CHECKIN_TTLOCK_USERNAME": "447700900123",
    "CHECKIN_MAIL_PASSWORD": "0000",
    "CHECKIN_PROPERTY_NAME": "1884",
    "CHECKIN_PROPERTY_TIMEZONE": "Europe/London",
    "CHECKIN_CHECK_IN_TIME": "00:00",
    "CHECKIN_CHECK_OUT_TIME": "11:30",
    "CHECKIN_SESSION_COOKIE_SECURE": "false",
    "CHECKIN_MAIL_STARTTLS": "no",
    "CHECKIN_DEFAULT_PHONE_REGION": "gb",
    "CHECKIN_SIMULATED_LOCK_LATENCY": "0",
    "CHECKIN_SIMULATED_LOCK_OFFLINE": "",
    "CHECKIN_TTLOCK_BUSY_BACKOFF": "5, 15, 60",
    "CHECKIN_PIN_RETRY_DELAY_SECONDS": "0.0",
    "CHECKIN_PIN_JOB_THREADS": "2",
    "CHECKIN_LOG_LEVEL": "warning",
}

OWNER_FILE = '''
SECRET_KEY = "12345678901234567890123456789012"
LOCK_BACKEND = "simulated"
CONTACT_WHATSAPP = 442079460000  # a number, not text: taken as the text it reads as
TTLOCK_PASSWORD = "12345678"
PROPERTY_NAME = "1884"
CHECK_IN_TIME = "00:00"
SESSION_COOKIE_SECURE = False
SIMULATED_LOCK_LATENCY = 0
SIMULATED_LOCK_OFFLINE = []
TTLOCK_BUSY_BACKOFF = [5, 15, 60]
PIN_RETRY_DELAY_SECONDS = 0
'''


def start(tmp_path, **overrides):
    """The app as the owner's layers make it: only the database and queue come from the test."""
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'owner.sqlite'}",
        "LOCK_QUEUE_DIR": str(tmp_path / "lock-queues"),
        **overrides,
    })
    with app.app_context():
        upgrade_database()
        load_demo_data()
    return app


def stop(app):
    app.extensions["pin_jobs"].shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder of the test's own (never the developer's instance/config.py)."""
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setenv("CHECKIN_INSTANCE_PATH", str(folder))
    return folder


@pytest.mark.parametrize("layer", ["environment", "instance file"])
def test_settings_as_the_owner_writes_them_reach_the_room_page(tmp_path, instance, monkeypatch, layer):
    if layer == "environment":
        for name, value in OWNER_ENV.items():
            monkeypatch.setenv(name, value)
    else:
        (instance / "config.py").write_text(OWNER_FILE)
    app = start(tmp_path)
    try:
        config = app.config
        assert config["CONTACT_WHATSAPP"] == "442079460000"
        assert config["TTLOCK_PASSWORD"] == "12345678"
        assert config["SECRET_KEY"] == DIGITS_SECRET_KEY
        assert config["PROPERTY_NAME"] == "1884"
        assert config["TTLOCK_BUSY_BACKOFF"] == [5, 15, 60]
        assert config["SIMULATED_LOCK_OFFLINE"] == []
        assert config["SESSION_COOKIE_SECURE"] is False
        assert app.test_cli_runner().invoke(
            args=["add-room", "Room 1", "--ttlock-id", "2001", "--wifi-password", "20260101"]
        ).exit_code == 0
        guest = Guest(app.test_client())
        confirm = guest.check_in()
        assert confirm.status_code == 302
        room = guest.client.get(confirm.headers["Location"])
        assert room.status_code == 200, room.data
        text = room.get_data(as_text=True)
        assert "https://wa.me/442079460000" in text and "20260101" in text and "1884" in text
    finally:
        stop(app)


def test_layers_environment_over_file_and_passthrough_keys(tmp_path, instance, monkeypatch):
    (instance / "config.py").write_text(OWNER_FILE + 'PROPERTY_TIMEZONE = "Europe/Paris"\nSQLALCHEMY_ECHO = False\n')
    monkeypatch.setenv("CHECKIN_PROPERTY_TIMEZONE", "Europe/Lisbon")
    monkeypatch.setenv("CHECKIN_PERMANENT_SESSION_LIFETIME", "600")  # Flask's own key: JSON, as before
    app = start(tmp_path, CHECK_IN_TIME="15:00")
    try:
        assert app.config["PROPERTY_TIMEZONE"] == "Europe/Lisbon"
        assert app.config["CHECK_IN_TIME"] == "15:00"  # the app's dict wins over the file
        assert app.config["SQLALCHEMY_ECHO"] is False
        assert app.config["PERMANENT_SESSION_LIFETIME"] == 600
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    finally:
        stop(app)


WRONG = [
    # (variables, the setting named, words of what is wrong, the example)
    ({"CHECKIN_PROPERTY_TIMEZONE": "Europe/Lundon"}, "PROPERTY_TIMEZONE", "not an IANA time zone", "Europe/London"),
    ({"CHECKIN_LOOKUP_MISSES_ALERT": "abc"}, "LOOKUP_MISSES_ALERT", "valid integer", "=20"),
    ({"CHECKIN_PIN_RETRY_DELAY_SECONDS": "abc"}, "PIN_RETRY_DELAY_SECONDS", "valid number", "=3"),
    ({"CHECKIN_SECRET_KEY": None}, "SECRET_KEY", "is not set", "CHECKIN_SECRET_KEY="),
    ({"CHECKIN_SECRET_KEY": "change-me"}, "SECRET_KEY", "too short or a placeholder", "CHECKIN_SECRET_KEY="),
    ({"CHECKIN_LOCK_BACKEND": None}, "LOCK_BACKEND", "is not set: choose ttlock", "CHECKIN_LOCK_BACKEND=ttlock"),
    ({"CHECKIN_LOCK_BACKEND": "ttlock"}, "TTLOCK_CLIENT_ID", "must be set when LOCK_BACKEND is ttlock", "CHECKIN_TTLOCK_CLIENT_ID="),
    ({"CHECKIN_CHECK_IN_TIME": "3pm"}, "CHECK_IN_TIME", "valid time", "=15:00"),
    ({"CHECKIN_SESSION_COOKIE_SECURE": "maybe"}, "SESSION_COOKIE_SECURE", "valid boolean", "=true"),
    ({"CHECKIN_TTLOCK_BUSY_BACKOFF": "5,soon"}, "TTLOCK_BUSY_BACKOFF", "valid number", "=5,15,60"),
    ({"CHECKIN_DEFAULT_PHONE_REGION": "UK"}, "DEFAULT_PHONE_REGION", "two-letter country code", "=GB"),
    ({"CHECKIN_TTLOCK_READ_TIMEOUT": "6"}, "TTLOCK_READ_TIMEOUT", "greater than or equal to 30", "=40"),
]
GOOD_ENV = {"CHECKIN_SECRET_KEY": DIGITS_SECRET_KEY, "CHECKIN_LOCK_BACKEND": "simulated"}


def owner_env(instance: Path, wrong: dict) -> dict:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CHECKIN_")}
    env.update(GOOD_ENV, CHECKIN_INSTANCE_PATH=str(instance))
    for name, value in wrong.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def test_a_wrong_value_in_the_instance_file_is_shown_as_python(instance, monkeypatch):
    for name, value in GOOD_ENV.items():
        monkeypatch.setenv(name, value)
    (instance / "config.py").write_text('PIN_ATTEMPTS = "twice"\n')
    with pytest.raises(InvalidSetting, match=r"Setting PIN_ATTEMPTS \(from instance/config.py\) = 'twice': .* PIN_ATTEMPTS = 2$"):
        create_app()


def test_a_typo_in_the_instance_file_is_one_line_too(instance, monkeypatch):
    for name, value in GOOD_ENV.items():
        monkeypatch.setenv(name, value)
    (instance / "config.py").write_text("CHECK_IN_TIME = 15:00\n")
    with pytest.raises(InvalidSetting, match=r"^instance/config.py could not be read: invalid syntax \(config.py, line 1\)"):
        create_app()


def test_no_lock_backend_chosen_refuses_to_start(tmp_path):
    with pytest.raises(InvalidSetting, match="LOCK_BACKEND is not set: choose ttlock"):
        create_app({"SECRET_KEY": DIGITS_SECRET_KEY, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})


def flask_command(instance: Path, wrong: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=PROJECT_ROOT, env=owner_env(instance, wrong),
        capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(("wrong", "key", "what", "example"), WRONG, ids=[f"{w[1]}:{w[2]}" for w in WRONG])
def test_every_flask_command_stops_with_one_line_and_a_failure_status(instance, wrong, key, what, example):
    """Each kind of wrong value, as the owner would meet it: a command run in a fresh process."""
    result = flask_command(instance, wrong, "config", "check")
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"Error: Setting {key}") and what in result.stderr and example in result.stderr


@pytest.mark.gunicorn
def test_gunicorn_stops_with_the_one_line_and_a_failure_status(instance):
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", "127.0.0.1:0",
               "--workers", "1", "wsgi:app"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=owner_env(instance, WRONG[0][0]), capture_output=True,
                            text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Error: Setting PROPERTY_TIMEZONE (from CHECKIN_PROPERTY_TIMEZONE) = 'Europe/Lundon'" in output
    assert output.count("Error: Setting") == 1  # the master stopped: no worker booted again
    assert "Traceback" not in output


def test_config_check_prints_the_settings_with_secrets_hidden(instance):
    secrets = {
        "CHECKIN_TTLOCK_PASSWORD": "12345678",
        "CHECKIN_TTLOCK_CLIENT_SECRET": "client-secret-value",
        "CHECKIN_MAIL_PASSWORD": "mail-password-value",
        "CHECKIN_ALERT_WEBHOOK_URL": "https://hooks.example.com/services/T000/B000/webhooktoken",
        "CHECKIN_BOOKINGS_CALENDAR_URL": "https://calendar.example.com/ical/private-feedtoken/basic.ics",
    }
    result = flask_command(instance, {**secrets, "CHECKIN_CONTACT_WHATSAPP": "442079460000"}, "config", "check")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for secret in (DIGITS_SECRET_KEY, "12345678", "client-secret-value", "mail-password-value", "webhooktoken",
                   "feedtoken"):
        assert secret not in out
    assert "SECRET_KEY = <hidden, 32 characters>  # CHECKIN_SECRET_KEY" in out
    assert "ALERT_WEBHOOK_URL = 'https://hooks.example.com/***'" in out
    assert "BOOKINGS_CALENDAR_URL = 'https://calendar.example.com/***'" in out
    assert "CONTACT_WHATSAPP = '442079460000'  # CHECKIN_CONTACT_WHATSAPP" in out
    assert "TTLOCK_BASE_URL = 'https://euapi.ttlock.com'  # default" in out
    assert f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{instance}/checkin.sqlite'  # default" in out
    assert "WARNING: LOCK_BACKEND is simulated" in out


def test_a_database_password_is_hidden():
    shown = masked("SQLALCHEMY_DATABASE_URI", "postgresql://checkin:dbpassword@db.example.com/checkin")
    assert shown == "'postgresql://checkin:***@db.example.com/checkin'"


def test_simulated_locks_say_so_on_every_surface(tmp_path, caplog):
    app = make_app(tmp_path)
    try:
        assert "LOCK_BACKEND is simulated" in caplog.text
        assert any(r.levelname == "WARNING" and "simulated" in r.getMessage() for r in caplog.records)
        runner = app.test_cli_runner()
        for command in (["locks", "list"], ["locks", "check"]):
            assert "WARNING: LOCK_BACKEND is simulated" in runner.invoke(args=command).output
        guest_page = app.test_client().get("/").get_data(as_text=True)
        assert '<span class="demo-mark">Demo<span class="visually-hidden"> This is a demonstration' in guest_page
        french = app.test_client().get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
        assert 'class="demo-mark">Démo' in french
        owner_page = app.test_client().get("/owner/login").get_data(as_text=True)
        assert "Simulated locks." in owner_page and "demo-mark" not in owner_page
    finally:
        stop(app)


def test_real_locks_show_no_demo_mark(tmp_path):
    app = make_app(tmp_path, LOCK_BACKEND="ttlock", TTLOCK_CLIENT_ID="id", TTLOCK_CLIENT_SECRET="secret",
                   TTLOCK_USERNAME="owner@example.com", TTLOCK_PASSWORD="12345678")
    try:
        assert "demo-mark" not in app.test_client().get("/").get_data(as_text=True)
        assert "Simulated locks." not in app.test_client().get("/owner/login").get_data(as_text=True)
    finally:
        stop(app)


def test_a_lock_problem_names_the_lock_and_its_ttlock_id(tmp_path):
    # Retries and a backup code take several lock calls: Confirm may wait for all of them here.
    app = make_app(tmp_path, SIMULATED_LOCK_OFFLINE=[2002], CONFIRM_WAIT_SECONDS=20)
    try:
        with app.app_context():
            load_demo_data()
        confirm = Guest(app.test_client()).check_in("40322", "Sampleton")  # Room 2, behind lock 2002
        assert "/room/" in confirm.headers["Location"]  # a backup code for the room's door
        with app.app_context():
            alert = db.session.scalar(db.select(AlertOutbox.body).where(AlertOutbox.booking_reference == "40322"))
        assert "Reason: The gateway for Room 2 door (2002) is offline (simulated)." in alert
    finally:
        stop(app)
