"""Guest data has a lifetime: purged RETAIN_GUEST_DATA_DAYS after check-out, exported or erased
on request, and gone from the database file too."""
import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from conftest import Guest, codes_on
from sqlalchemy import func, select

from checkin.extensions import db
from checkin.locks import LockUnreachable
from checkin.models import (
    AlertOutbox,
    AuditAction,
    AuditEvent,
    Booking,
    CheckIn,
    LockCode,
    PinState,
    RateLimitCounter,
)
from checkin.pins import revoke_pin
from checkin.services.alerts import alert_guest_needs_help
from checkin.services.audit import record_event
from checkin.stays import stay_window

FRONT_DOOR, ROOM_1 = 1001, 2001
CLIENT_ADDRESS = "203.0.113.77"
# What the guest gives, as the stored forms: the phone as E.164, the registration as typed.
GUEST = {"full_name": "Alex Quillfeather", "phone": "+442079460187", "email": "alex.quill@example.com"}
REGISTRATION = "QF26 XYZ"


def checked_in_guest(app):
    """Booking 40321's guest checks in from CLIENT_ADDRESS, their PIN is placed, the owner was
    alerted for them and added a note naming them; returns when the stay ends."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT_ADDRESS
    guest = Guest(client)
    guest.find_booking("40321", "Testington")
    guest.give_details(GUEST["full_name"], "+44 20 7946 0187", GUEST["email"])
    guest.give_parking(REGISTRATION)
    guest.confirm()
    app.extensions["pin_jobs"].wait(1, timeout=5)
    with app.app_context():
        check_in = db.session.scalar(select(CheckIn).where(CheckIn.booking_id == 1))
        assert check_in.pin_state == PinState.READY and check_in.phone == GUEST["phone"]
        alert_guest_needs_help(check_in)
        # Added by the owner with a typo in the surname, since corrected.
        record_event(AuditAction.BOOKING_ADDED, "40321", f"Testingtn, {check_in.booking.check_in_date}")
        record_event(AuditAction.BOOKING_EDITED, "40321", f"Called {GUEST['full_name']} on {GUEST['phone']}")
        return stay_window(check_in.booking)[1]


def guest_words() -> list[str]:
    return ["Testington", "Testingtn", "Quillfeather", GUEST["phone"], GUEST["email"], REGISTRATION, CLIENT_ADDRESS]


def test_purge_erases_a_guest_only_once_the_retention_has_passed(app, runner, demo, cloud):
    stay_ends = checked_in_guest(app)
    retention = timedelta(days=app.config["RETAIN_GUEST_DATA_DAYS"])

    with time_machine.travel(stay_ends + retention - timedelta(hours=1)):
        assert runner.invoke(args=["sweep"]).exit_code == 0
        result = runner.invoke(args=["purge-guest-data"])
    assert result.exit_code == 0, result.output
    assert "40321" not in result.output  # 40322, one night, ended a day earlier: it is erased
    with app.app_context():
        assert db.session.get(Booking, 1).surname == "Testington"
        assert db.session.get(CheckIn, 1).full_name == GUEST["full_name"]

    with time_machine.travel(stay_ends + retention + timedelta(minutes=1)):
        result = runner.invoke(args=["purge-guest-data"])
        assert "Erased the guest data of 0 booking(s)" in runner.invoke(args=["purge-guest-data"]).output
    assert result.exit_code == 0, result.output
    assert "40321" in result.output and "40323" not in result.output
    with app.app_context():
        booking = db.session.get(Booking, 1)
        check_in = booking.check_in
        # Anonymous history stays: dates, room, states, which locks had a code, what happened.
        assert (booking.surname, booking.room.name) == ("", "Room 1")
        assert booking.check_out_date > booking.check_in_date
        assert (check_in.full_name, check_in.phone, check_in.email, check_in.car_registration) == ("", "", "", "")
        assert (check_in.has_car, check_in.pin, check_in.pin_state) == (True, None, PinState.READY)
        assert check_in.confirmed_at is not None
        codes = db.session.scalars(select(LockCode)).all()
        assert len(codes) == 2 and all(code.pin == "" and code.removed_at for code in codes)
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.booking_reference == "40321")).all()
        assert {AuditAction.PIN_READY, AuditAction.BOOKING_EDITED, AuditAction.CODE_SWEPT} <= {e.action for e in events}
        assert "Called [erased] on [erased]" in [e.detail for e in events]
        assert [e.detail for e in events if e.action == AuditAction.BOOKING_ADDED] == ["[erased]"]
        alert = db.session.scalar(select(AlertOutbox).where(AlertOutbox.booking_reference == "40321"))
        assert alert.subject == alert.body == "A guest is asking for help: booking 40321"
        assert db.session.scalar(select(func.count()).select_from(RateLimitCounter)) == 0
        # A later stay keeps its guest's name; an erased booking is found by no one.
        assert db.session.scalar(select(Booking.surname).where(Booking.reference == "40323")) == "Exampleford"
    assert Guest(app.test_client()).find_booking("40321", "'").status_code == 200


def test_export_prints_everything_held_about_the_guest(app, runner, demo, cloud):
    checked_in_guest(app)
    result = runner.invoke(args=["export-guest-data", "40 321"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["booking"]["reference"] == "40321" and data["booking"]["surname"] == "Testington"
    assert data["booking"]["room"] == "Room 1"
    answers = data["check_in"]
    assert {key: answers[key] for key in GUEST} == GUEST
    assert (answers["has_car"], answers["car_registration"], answers["pin_state"]) == (True, REGISTRATION, "ready")
    # A code that opens a door is not printed; the locks and times are.
    assert answers["pin"] == "(withheld while it opens a door)"
    assert sorted(code["lock"] for code in data["lock_codes"]) == ["Front door", "Room 1 door"]
    assert all(code["placed_at"] and code["removed_at"] is None for code in data["lock_codes"])
    assert {"pin_ready", "booking_edited"} <= {event["action"] for event in data["audit_events"]}
    assert all(event["by"] in ("system", "owner") for event in data["audit_events"])
    assert [alert["subject"] for alert in data["alerts"]] == ["A guest is asking for help: booking 40321"]
    assert "Testington" in data["alerts"][0]["body"]

    with app.app_context():
        revoke_pin(db.session.get(CheckIn, 1), remove_now=True)
        pin = db.session.get(CheckIn, 1).pin
    data = json.loads(runner.invoke(args=["export-guest-data", "40321"]).output)
    assert data["check_in"]["pin"] == pin  # off every lock, it opens nothing
    assert runner.invoke(args=["export-guest-data", "99999"]).exit_code != 0


def test_delete_now_takes_the_code_off_the_locks_first(app, runner, demo, cloud):
    checked_in_guest(app)
    assert len(codes_on(app, FRONT_DOOR)) == len(codes_on(app, ROOM_1)) == 1
    assert runner.invoke(args=["delete-guest-data", "40321"], input="n\n").exit_code != 0
    assert len(codes_on(app, FRONT_DOOR)) == 1

    result = runner.invoke(args=["delete-guest-data", "40321"], input="y\n")
    assert result.exit_code == 0, result.output
    assert codes_on(app, FRONT_DOOR) == codes_on(app, ROOM_1) == []
    with app.app_context():
        check_in = db.session.get(CheckIn, 1)
        assert (check_in.booking.surname, check_in.full_name, check_in.pin, check_in.pin_state) == (
            "", "", None, PinState.REVOKED)
        assert db.session.scalar(select(func.count()).where(LockCode.removed_at.is_(None))) == 0
    data = json.loads(runner.invoke(args=["export-guest-data", "40321"]).output)
    assert not any(word in json.dumps(data) for word in guest_words())


def test_delete_now_with_a_lock_unreachable_erases_and_leaves_the_code_to_the_sweep(app, runner, demo, cloud):
    checked_in_guest(app)
    cloud.failures[("delete", FRONT_DOOR)] = [LockUnreachable("The front door's gateway is offline.")]
    result = runner.invoke(args=["delete-guest-data", "40321", "--yes"])
    assert result.exit_code != 0
    assert "still on a lock" in result.output and "sweep" in result.output
    with app.app_context():
        assert db.session.get(Booking, 1).surname == ""
        live = db.session.scalars(select(LockCode).where(LockCode.removed_at.is_(None))).all()
        assert live and all(code.pin for code in live)  # the sweep and other PINs still need them
    assert runner.invoke(args=["sweep"]).exit_code == 0
    assert codes_on(app, FRONT_DOOR) == []


@pytest.fixture
def app_config(request, tmp_path):
    """The file test reads SQLite's files: it runs on SQLite whatever database the suite is on."""
    if request.node.get_closest_marker("sqlite_file"):
        return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'guest-data.sqlite'}"}
    return {}


@pytest.mark.sqlite_file
@pytest.mark.parametrize("how", ["purge", "delete now"])
def test_erased_details_are_gone_from_the_database_files(app, runner, demo, cloud, how):
    """On SQLite whatever database the suite is on: what it reads are SQLite's files (for
    PostgreSQL, see the README's Privacy section)."""
    stay_ends = checked_in_guest(app)
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    assert all(word.encode() in _file_bytes(database) for word in ("Testington", "Quillfeather"))

    if how == "purge":
        with time_machine.travel(stay_ends + timedelta(days=app.config["RETAIN_GUEST_DATA_DAYS"], minutes=1)):
            assert runner.invoke(args=["sweep"]).exit_code == 0
            result = runner.invoke(args=["purge-guest-data"])
    else:
        result = runner.invoke(args=["delete-guest-data", "40321", "--yes"])
    assert result.exit_code == 0, result.output

    stored = _file_bytes(database)
    for word in guest_words():
        assert word.encode() not in stored, word
        assert word.encode("utf-16-le") not in stored, word


def _file_bytes(database: Path) -> bytes:
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
