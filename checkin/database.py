"""SQLite set-up: WAL and a busy timeout so threads and gunicorn workers share one file."""
from flask import Flask
from sqlalchemy import event

from .extensions import db


def init_app(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _tune_sqlite_connection)


def _tune_sqlite_connection(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets guests read while a PIN job writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_tables() -> None:
    """Create any missing tables; existing data is kept."""
    from . import models  # noqa: F401  (registers every table)

    db.create_all()

