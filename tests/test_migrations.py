"""Schema migrations: a database made before them reaches the newest schema with every row kept,
and the migrations make exactly the tables the models describe."""
import re
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex

from checkin import create_app
from checkin.database import upgrade_database
from checkin.extensions import db
from checkin.models import CheckIn, LockCode, PinState
from conftest import TEST_CONFIG

FIXTURES = Path(__file__).with_name("fixtures")
FIRST_VERSION = FIXTURES / "schema_first_version.sql"
BEFORE_MIGRATIONS = FIXTURES / "schema_before_migrations.sql"
HEAD = "0006"

# A property as the last version before migrations stored it. A database of an older version
# gets the tables and columns it has; the rest is left out.
ROWS = {
    "locks": [
        {"id": 1, "name": "Front door", "ttlock_id": 1001, "is_front_door": 1},
        {"id": 2, "name": "Room 1 door", "ttlock_id": 2001, "is_front_door": 0},
    ],
    "rooms": [
        {"id": 1, "name": "Room 1", "lock_id": 2, "floor": "First floor", "directions": "Up the stairs.",
         "wifi_name": "Example-Guest", "wifi_password": "secret-wifi"},
    ],
    "bookings": [
        {"id": 1, "reference": "40321", "surname": "Testington", "room_id": 1, "check_in_date": "2026-11-24",
         "check_out_date": "2026-11-26", "cancelled_at": None},
        {"id": 2, "reference": "40322", "surname": "Sampleton", "room_id": 1, "check_in_date": "2026-11-26",
         "check_out_date": "2026-11-28", "cancelled_at": None},
        {"id": 3, "reference": "40323", "surname": "Exampleson", "room_id": 1, "check_in_date": "2026-11-28",
         "check_out_date": "2026-11-29", "cancelled_at": "2026-11-20 09:30:00.000000"},
    ],
    "check_ins": [
        # Ready: the PIN is on both doors and the guest has the room link.
        {"id": 1, "public_id": "a" * 32, "booking_id": 1, "created_at": "2026-11-24 14:00:00.000000",
         "full_name": "Alex Testington", "phone": "+44 20 7946 0123", "email": "alex@example.com", "has_car": 1,
         "car_registration": "AB12 CDE", "pin_state": "ready", "pin": "4711", "pin_job_id": "1" * 32,
         "pin_job_owner": None, "pin_heartbeat_at": "2026-11-24 14:01:05.000000", "pin_attempts": 1,
         "pin_started_at": "2026-11-24 14:01:00.000000", "pin_finished_at": "2026-11-24 14:01:07.000000",
         "pin_error": None, "confirmed_at": "2026-11-24 14:01:00.000000", "room_token_salt": "b" * 64,
         "room_token_hash": "c" * 64},
        # Pending: a worker is placing the PIN right now.
        {"id": 2, "public_id": "d" * 32, "booking_id": 2, "created_at": "2026-11-26 15:00:00.000000",
         "full_name": "Sam Sampleton", "phone": "+44 20 7946 0456", "email": "sam@example.com", "has_car": 0,
         "car_registration": None, "pin_state": "pending", "pin": None, "pin_job_id": "2" * 32,
         "pin_job_owner": "host:4242:1764165600", "pin_heartbeat_at": "2026-11-26 15:00:03.000000",
         "pin_attempts": 1, "pin_started_at": "2026-11-26 15:00:01.000000", "pin_finished_at": None,
         "pin_error": None, "confirmed_at": "2026-11-26 15:00:01.000000", "room_token_salt": "e" * 64,
         "room_token_hash": "f" * 64},
    ],
    "lock_codes": [
        {"id": 1, "check_in_id": 1, "lock_id": 1, "job_id": "1" * 32, "pin": "4711", "passcode_id": 90001,
         "created_at": "2026-11-24 14:01:03.000000", "removed_at": None},
        {"id": 2, "check_in_id": 1, "lock_id": 2, "job_id": "1" * 32, "pin": "4711", "passcode_id": 90002,
         "created_at": "2026-11-24 14:01:06.000000", "removed_at": None},
        {"id": 3, "check_in_id": 2, "lock_id": 1, "job_id": "2" * 32, "pin": "5820", "passcode_id": 90003,
         "created_at": "2026-11-26 15:00:03.000000", "removed_at": None},
    ],
    "simulated_passcodes": [
        {"id": 1, "lock_ttlock_id": 1001, "pin": "4711", "name": "Booking 40321", "start_ms": 1764000000000,
         "end_ms": 1764151200000},
    ],
    "ttlock_tokens": [
        {"id": 1, "username": "owner@example.com", "access_token": "access-token", "refresh_token": "refresh-token",
         "expires_at": "2026-12-24 14:00:00.000000", "updated_at": "2026-11-24 14:00:00.000000"},
    ],
    "rate_limit_events": [{"id": 1, "key_hash": "9" * 64, "at": "2026-11-26 15:00:00.000000"}],
    "owner_accounts": [
        {"id": 1, "email": "owner@example.com", "password_hash": "scrypt:32768:8:1$salt$hash",
         "created_at": "2026-11-20 10:00:00.000000", "last_login_at": "2026-11-26 08:00:00.000000"},
    ],
    "audit_events": [
        {"id": 1, "created_at": "2026-11-24 14:01:07.000000", "actor": "system", "action": "pin_ready",
         "booking_reference": "40321", "detail": ""},
        {"id": 2, "created_at": "2026-11-20 09:30:00.000000", "actor": "owner@example.com",
         "action": "booking_cancelled", "booking_reference": "40323", "detail": "Guest wrote to cancel"},
    ],
    "alert_outbox": [
        {"id": 1, "dedupe_key": "pin-failed:" + "3" * 32, "channel": "email", "subject": "PIN failed for 40321",
         "body": "The lock did not answer.", "booking_reference": "40321", "created_at": "2026-11-24 13:00:00.000000",
         "attempts": 1, "next_attempt_at": "2026-11-24 13:00:00.000000", "sent_at": "2026-11-24 13:00:02.000000",
         "last_error": None},
        {"id": 2, "dedupe_key": "contact:40322", "channel": "webhook", "subject": "A guest asks for help",
         "body": "Sam Sampleton cannot open the door.", "booking_reference": "40322",
         "created_at": "2026-11-26 15:10:00.000000", "attempts": 2, "next_attempt_at": "2026-11-26 15:12:00.000000",
         "sent_at": None, "last_error": "HTTP 502"},
    ],
}


@pytest.fixture
def database(tmp_path):
    return tmp_path / "checkin.sqlite"


@pytest.fixture
def app(database, tmp_path):
    """The app on a database file this test makes itself (not the suite's ready-made copy)."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "LOCK_QUEUE_DIR": str(tmp_path / "lock-queues")})
    yield app
    app.extensions["pin_jobs"].shutdown()
    with app.app_context():
        db.engine.dispose()


def make_previous_database(path: Path, schema: Path) -> dict:
    """A database as init-db made it before migrations, with the rows its tables can hold."""
    with sqlite3.connect(path) as connection:
        connection.executescript(schema.read_text())
        stored = _store_rows(connection)
    connection.close()
    return stored


def make_first_version_database_upgraded_by_create_all(path: Path) -> dict:
    """The first version's database after a later version's init-db: create_all added the new
    tables but left the old ones as they were."""
    with sqlite3.connect(path) as connection:
        connection.executescript(FIRST_VERSION.read_text())
        existing = _tables(connection)
        for statement in BEFORE_MIGRATIONS.read_text().split(";\n"):
            table = re.search(r"CREATE (?:TABLE|(?:UNIQUE )?INDEX \w+ ON) (\w+)", statement)
            if table and table.group(1) not in existing:
                connection.execute(statement)
        stored = _store_rows(connection)
    connection.close()
    return stored


def _store_rows(connection: sqlite3.Connection) -> dict:
    stored = {}
    for table in [table for table in ROWS if table in _tables(connection)]:
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        stored[table] = [{name: value for name, value in row.items() if name in columns} for row in ROWS[table]]
        for row in stored[table]:
            connection.execute(
                f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
            )
    return stored


def _tables(connection: sqlite3.Connection) -> set[str]:
    return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def rows_in(path: Path) -> dict:
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        found = {table: [dict(row) for row in connection.execute(f"SELECT * FROM {table} ORDER BY id")]
                 for table in _tables(connection) - {"alembic_version"}}
    connection.close()
    return found


def snapshot(path: Path) -> tuple:
    """Everything in the database file: its schema, its version and its rows."""
    with sqlite3.connect(path) as connection:
        schema = connection.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        version = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    connection.close()
    return schema, version, rows_in(path)


def revision_of(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    connection.close()
    return version


def assert_schema_matches_models(app) -> None:
    """Alembic finds no difference between the database and the models (tables, columns, types,
    nullability, server defaults, unique constraints, indexes), and every index is the very one
    the models would create, partial index conditions included (alembic does not compare those)."""
    with app.app_context(), db.engine.connect() as connection:
        migration_context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(migration_context, db.metadata) == []
        stored = dict(connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all())
    for table in db.metadata.tables.values():
        for index in table.indexes:
            expected = str(CreateIndex(index).compile(dialect=sqlite.dialect())).strip()
            assert stored[index.name] == expected


@pytest.mark.parametrize(
    ("make_database", "command"),
    [
        pytest.param(lambda path: make_previous_database(path, BEFORE_MIGRATIONS), ["init-db"],
                     id="last-version-before-migrations-init-db"),
        pytest.param(lambda path: make_previous_database(path, BEFORE_MIGRATIONS), ["db", "upgrade"],
                     id="last-version-before-migrations-db-upgrade"),
        pytest.param(lambda path: make_previous_database(path, FIRST_VERSION), ["init-db"], id="first-version"),
        pytest.param(make_first_version_database_upgraded_by_create_all, ["db", "upgrade"],
                     id="first-version-then-a-later-init-db"),
    ],
)
def test_a_database_made_before_migrations_reaches_the_newest_schema_keeping_every_row(
    app, database, make_database, command
):
    stored = make_database(database)

    result = app.test_cli_runner().invoke(args=command)

    assert result.exit_code == 0, result.output
    assert revision_of(database) == HEAD
    found = rows_in(database)
    for table, rows in stored.items():
        assert len(found[table]) == len(rows), table
        for row, row_found in zip(rows, found[table]):
            assert {name: row_found[name] for name in row} == row, table
    assert_schema_matches_models(app)
    with app.app_context():
        ready = db.session.scalar(db.select(CheckIn).where(CheckIn.public_id == "a" * 32))
        assert (ready.booking.reference, ready.pin_state, ready.pin) == ("40321", PinState.READY, "4711")
        # Codes placed before the job takeover belong to the run their check-in last had.
        assert {code.job_id for code in ready.lock_codes} == {"1" * 32}
        assert db.session.get(LockCode, 3).job_id == "2" * 32


def test_the_migrations_make_the_tables_the_models_describe(app, database):
    """Fails when a model changes without its migration (or a migration without its model)."""
    with app.app_context():
        upgrade_database()

    assert revision_of(database) == HEAD
    assert_schema_matches_models(app)


def test_a_second_upgrade_changes_nothing(app, database):
    make_previous_database(database, BEFORE_MIGRATIONS)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    before = snapshot(database)

    result = runner.invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert snapshot(database) == before


def test_downgrade_to_nothing_and_back(app, database):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0

    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    assert rows_in(database) == {}
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0

    assert_schema_matches_models(app)


def test_db_upgrade_creates_a_database_from_any_directory(app, database, tmp_path, monkeypatch):
    """The migrations are found inside the package, not in the working directory."""
    monkeypatch.chdir(tmp_path)

    result = app.test_cli_runner().invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert revision_of(database) == HEAD
    assert {"bookings", "check_ins", "lock_codes", "audit_events", "alert_outbox"} <= rows_in(database).keys()
