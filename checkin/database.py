"""The database: SQLite by default (WAL and a busy timeout, so threads and gunicorn workers share
one file), or PostgreSQL (postgresql+psycopg://...) for more than one host. The schema comes from
the migrations in checkin/migrations, whatever the working directory."""
from pathlib import Path

import flask_migrate
from flask import Flask
from sqlalchemy import event

from .extensions import db, migrate

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    engine_options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if uri.startswith("sqlite"):
        # The driver's own wait for a locked database, before the busy_timeout pragma applies.
        engine_options.setdefault("connect_args", {}).setdefault("timeout", 15)
    else:
        # A managed database or a restarted server drops idle connections: test before use.
        engine_options.setdefault("pool_pre_ping", True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _tune_sqlite_connection)


def _tune_sqlite_connection(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets guests read while a PIN job writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted and overwritten content is zeroed in the file, so erased guest data is gone from it.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def upgrade_database() -> None:
    """Create the database, or bring it to the newest schema keeping every row.

    The same as `flask db upgrade`: a database made before migrations is recognised in env.py.
    """
    flask_migrate.upgrade()

