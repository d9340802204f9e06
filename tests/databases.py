"""The database a test runs on: a temp-file SQLite database, or a PostgreSQL database of its own
when TEST_DATABASE_URL names a server (`scripts/with-postgresql` sets it; CI runs the suite on both).

Either way each test folder gets a database already at the newest schema, copied from a template
made once per process by the real migrations: running them for every test would be slow.
"""
import atexit
import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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
    name = "t_" + hashlib.sha256(str(folder).encode()).hexdigest()[:20]
    with _server().connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{_postgresql_template()}"')
            _created.append(name)
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


_created: list[str] = []


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
    _migrated(make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False))
    return name
