"""The database a test runs on: a temp-file SQLite database, or a PostgreSQL database of its own
when TEST_DATABASE_URL names a server (`scripts/with-postgresql` sets it; CI runs the suite on both).

Either way each test folder gets a database already at the newest schema and empty, made from a
template the real migrations built once per process: running them for every test would be slow.
On SQLite that is a copy of the template's file. On PostgreSQL, making a database from the
template took 0.2-1 s on a busy server, half of the pass: so a process makes a database only when
none is free, and when a test ends its folder's databases are emptied (TRUNCATE, 0.03 s) and free
for the next test (`reuse_databases_under`).
"""
import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def on_postgresql() -> bool:
    return bool(TEST_DATABASE_URL)


def database_uri_for(folder: Path) -> str:
    """The database of this test folder (the same folder gives the same database), at the newest schema."""
    if not on_postgresql():
        database = folder / "test.sqlite"
        if not database.exists():
            shutil.copyfile(_sqlite_template(), database)
        return f"sqlite:///{database}"
    folder = Path(folder)
    name = _in_use.get(folder)
    if name is None:
        name = _free.pop() if _free else _new_database()
        _in_use[folder] = name
    return _uri_of(name)


def reuse_databases_under(folder: Path) -> None:
    """A test ended: the databases of the folders inside its own are emptied for the next tests.

    A database someone still holds a connection to is cut off first (a test's leftovers must not
    write into the next test). One that cannot be emptied back to the template's tables is never
    handed out again.
    """
    for owner in [owner for owner in _in_use if owner.is_relative_to(folder)]:
        name = _in_use.pop(owner)
        if _emptied(name):
            _free.append(name)


def _emptied(name: str) -> bool:
    with _server().connect() as connection:
        connection.execute(
            text("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name},
        )
    engine = create_engine(_uri_of(name))
    try:
        with engine.begin() as connection:
            if _tables(connection) != _template_tables():
                return False
            data_tables = ", ".join(f'"{table}"' for table in _template_tables() if table != "alembic_version")
            connection.exec_driver_sql("SET LOCAL lock_timeout = '5s'")  # never hang the run on a straggler
            connection.exec_driver_sql(f"TRUNCATE {data_tables} RESTART IDENTITY CASCADE")
        return True
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def _tables(connection) -> dict[str, int]:
    """Each table's column count, and the schema's revision (under "alembic_version")."""
    rows = connection.execute(text(
        "SELECT table_name, count(*) FROM information_schema.columns WHERE table_schema = 'public' GROUP BY table_name"
    ))
    tables = dict(rows.all())
    tables["alembic_version"] = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return tables


@functools.cache
def _template_tables() -> dict[str, int]:
    engine = create_engine(_uri_of(_postgresql_template()))
    try:
        with engine.connect() as connection:
            return _tables(connection)
    finally:
        engine.dispose()


def _new_database() -> str:
    name = f"t_{os.getpid()}_{len(_created)}"
    with _server().connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # an earlier run's
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{_postgresql_template()}"')
    _created.append(name)
    return name


def _uri_of(name: str) -> str:
    return make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)


def drop_databases() -> None:
    """Drop the PostgreSQL databases this process made (their connections are cut), unless the
    whole cluster is thrown away after the run (scripts/with-postgresql): a drop takes about 0.1 s
    on a busy server, and a worker's hundred-odd drops held up the end of the pass for 10-20 s."""
    if not on_postgresql() or os.environ.get("TEST_DATABASE_DISPOSABLE") == "true":
        return
    with _server().connect() as connection:
        while _created:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{_created.pop()}" WITH (FORCE)')


_created: list[str] = []  # every database this process made, the template first
_in_use: dict[Path, str] = {}  # test folder -> its database
_free: list[str] = []  # emptied, at the newest schema


@functools.cache
def _server():
    """The maintenance connection, in autocommit (CREATE DATABASE cannot run in a transaction)."""
    return create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")


def _migrated(uri: str) -> None:
    # Imported here: tests/conftest.py imports this module before the app is configured.
    from checkin import create_app
    from checkin.database import upgrade_database
    from checkin.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "template-" + "x" * 16, "LOCK_BACKEND": "simulated",
                      "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade_database()
        db.engine.dispose()
    app.extensions["pin_jobs"].shutdown()


@functools.cache
def _sqlite_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="checkin-schema-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    template = folder / "schema.sqlite"
    _migrated(f"sqlite:///{template}")
    return template


@functools.cache
def _postgresql_template() -> str:
    name = f"template_{os.getpid()}"
    with _server().connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    _created.insert(0, name)
    _migrated(_uri_of(name))
    return name
