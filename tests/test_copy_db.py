"""copy-db: an install on SQLite moves to an empty PostgreSQL database with every row, refuses a
target that holds data, and the app then runs on the copy. Runs in the PostgreSQL pass."""
import hashlib
import shutil
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from conftest import Guest, make_app
from databases import TEST_DATABASE_URL
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import make_url

from checkin.clock import utc_now
from checkin.extensions import db
from checkin.locks.ttlock import StoredToken
from checkin.models import AuditAction, Booking, CheckIn, PinState, SimulatedPasscode
from checkin.pins.cloud import DatabaseTokenStore
from checkin.services.alerts import alert_owner
from checkin.services.audit import record_event
from checkin.services.demo import load_demo_data
from checkin.services.owner_accounts import authenticate, save_owner

pytestmark = pytest.mark.postgresql

OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "a-long-owner-password"
# The tables the filled install must have rows in, so that comparing them proves something.
FILLED_TABLES = {
    "locks", "rooms", "bookings", "check_ins", "lock_codes", "simulated_passcodes", "ttlock_tokens",
    "rate_limit_counters", "owner_accounts", "audit_events", "alert_outbox",
}


@pytest.fixture(scope="module")
def filled_install(tmp_path_factory) -> Path:
    """An install on SQLite, filled through the app: the demo, a guest checked in with a ready
    PIN, an owner account, an audit event, an alert, and the TTLock account's token. Made once:
    each test gets a copy of the file."""
    folder = tmp_path_factory.mktemp("filled-install")
    app = make_app(folder, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'install.sqlite'}")
    with app.app_context():
        load_demo_data()
    guest = Guest(app.test_client())
    assert guest.find_booking(surname="Wrongname").status_code == 200  # a miss: a rate-limit counter
    assert guest.check_in().status_code == 302
    with app.app_context():
        assert db.session.scalar(select(CheckIn.pin_state)) == PinState.READY
        save_owner(OWNER_EMAIL, OWNER_PASSWORD)
        record_event(AuditAction.BOOKING_EDITED, "40322", "Surname spelling corrected")
        alert_owner("Lock battery low", "40322", "Change the batteries of Room 2 door.")
        DatabaseTokenStore().save("owner-account", StoredToken("access-1", "refresh-1", utc_now() + timedelta(days=90)))
    app.extensions["pin_jobs"].shutdown()
    with app.app_context():
        db.engine.dispose()  # SQLite folds its write-ahead log into the file: the file is the data
    return folder / "install.sqlite"


@pytest.fixture
def source(filled_install, tmp_path):
    """The app on this test's copy of the filled install."""
    shutil.copyfile(filled_install, tmp_path / "install.sqlite")
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'install.sqlite'}")
    yield app
    app.extensions["pin_jobs"].shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def empty_target(tmp_path):
    """A new, empty PostgreSQL database on the test server, dropped afterwards."""
    server = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    name = "copy_" + hashlib.sha256(str(tmp_path).encode()).hexdigest()[:20]
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    server.dispose()


def every_row(url: str) -> dict[str, list[tuple]]:
    """Every row of every app table, read through the models' column types, in id order."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            existing = set(inspect(connection).get_table_names())
            return {
                table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
                for table in db.metadata.sorted_tables
                if table.name in existing
            }
    finally:
        engine.dispose()


def schema_revision(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def raw_rows(url: str, sql: str) -> list[tuple]:
    """Rows as the database driver gives them, without the models' types."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def file_digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_db(app, target_url: str):
    return app.test_cli_runner().invoke(args=["copy-db", "--to", target_url])


def test_every_row_of_every_table_is_copied_exactly(source, empty_target, tmp_path):
    source_url = source.config["SQLALCHEMY_DATABASE_URI"]
    with source.app_context():
        db.engine.dispose()  # SQLite folds its write-ahead log into the file: the file is the data
    before = every_row(source_url)
    assert {name for name, rows in before.items() if rows} >= FILLED_TABLES
    digest = file_digest(tmp_path / "install.sqlite")

    result = copy_db(source, empty_target)

    assert result.exit_code == 0, result.output
    assert every_row(empty_target) == before
    assert every_row(source_url) == before and file_digest(tmp_path / "install.sqlite") == digest
    assert schema_revision(empty_target) == schema_revision(source_url)
    for table, rows in before.items():
        assert f"{table}: {len(rows)} row(s)" in result.output
    # Stored as PostgreSQL's own kinds: a boolean, naive UTC, a 64-bit integer.
    with source.app_context():
        check_in = db.session.scalar(select(CheckIn))
        code = db.session.scalar(select(SimulatedPasscode).order_by(SimulatedPasscode.id))
        expected = (True, check_in.confirmed_at.astimezone(timezone.utc).replace(tzinfo=None), code.end_ms)
    assert code.end_ms > 2**31
    assert raw_rows(empty_target, "SELECT c.has_car, c.confirmed_at, p.end_ms FROM check_ins c, simulated_passcodes p "
                                  "ORDER BY p.id LIMIT 1") == [expected]


def test_a_target_holding_data_is_refused_and_left_alone(source, empty_target):
    assert copy_db(source, empty_target).exit_code == 0
    copied = every_row(empty_target)

    result = copy_db(source, empty_target)

    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "already holds data" in result.output and "copy only into an empty database" in result.output
    assert every_row(empty_target) == copied


def test_a_failure_half_way_leaves_no_row_on_the_target(source, empty_target):
    # SQLite ignores a column's length; PostgreSQL refuses the row, after the locks and rooms.
    with source.app_context():
        db.session.add(Booking(reference="4" * 30, surname="Longref", room_id=1,
                               check_in_date=utc_now().date(), check_out_date=utc_now().date() + timedelta(days=1)))
        db.session.commit()

    result = copy_db(source, empty_target)

    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert "no row was written" in result.output and "4" * 30 not in result.output
    assert all(rows == [] for rows in every_row(empty_target).values())
    assert "already holds data" not in copy_db(source, empty_target).output  # the target stayed empty


def test_a_source_behind_the_newest_schema_is_refused_before_the_target_is_touched(source, empty_target):
    with source.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0003'")

    result = copy_db(source, empty_target)

    assert result.exit_code == 1
    assert "db upgrade" in result.output
    assert every_row(empty_target) == {}


def test_the_app_runs_on_the_copy_with_fresh_ids(source, empty_target, tmp_path):
    copied = every_row(source.config["SQLALCHEMY_DATABASE_URI"])
    assert copy_db(source, empty_target).exit_code == 0
    app = make_app(tmp_path / "on-postgresql", SQLALCHEMY_DATABASE_URI=empty_target)
    try:
        with app.app_context():
            assert authenticate(OWNER_EMAIL, OWNER_PASSWORD, "192.0.2.1") is not None
            # A new booking and check-in (with its lock codes and simulated codes) get new ids.
            load_demo_data()  # resets the demo's check-ins: 40321 checks in again
        assert Guest(app.test_client()).check_in().status_code == 302
        with app.app_context():
            check_in = db.session.scalar(select(CheckIn))
            assert check_in.pin_state == PinState.READY
            assert check_in.id > max(row[0] for row in copied["check_ins"])
            booking = Booking(reference="40399", surname="Newcomer", room_id=1,
                              check_in_date=utc_now().date(), check_out_date=utc_now().date() + timedelta(days=1))
            db.session.add(booking)
            db.session.commit()
            assert booking.id == max(row[0] for row in copied["bookings"]) + 1
    finally:
        app.extensions["pin_jobs"].shutdown()
        with app.app_context():
            db.engine.dispose()
