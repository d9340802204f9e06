"""Copying the app's database, every row of every table, into an empty one: how an install on
SQLite moves to PostgreSQL (`flask --app wsgi copy-db --to postgresql+psycopg://...`).

The tables come from the models' metadata, so a table added later is copied too. The source is
opened read-only and read in one snapshot; the target is brought to the newest schema by the
migrations, then filled in one transaction: it ends with every row or none.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask
from sqlalchemy import (
    URL,
    Connection,
    Engine,
    create_engine,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from .. import database
from ..extensions import db

# Rows per INSERT round trip, and the most rows of one table held in memory at once.
BATCH_ROWS = 1000


class CopyError(Exception):
    """The copy was refused or failed; the message is one line for the owner, without secrets."""


def copy_database(target_url: str) -> dict[str, int]:
    """Copy this app's database into the empty database at target_url; returns rows per table.

    Raises CopyError, having written no row, if the target holds data, the source is not at the
    newest schema, or anything fails on the way (the target may then have the empty tables).
    """
    try:
        target = make_url(target_url)
    except SQLAlchemyError:
        raise CopyError(f"{target_url!r} is not a database URL, e.g. postgresql+psycopg://USER:PASS@HOST/DB.") from None
    where = target.render_as_string(hide_password=True)
    source = _read_only_engine(db.engine.url)
    try:
        with source.connect() as reading:
            _begin_snapshot(reading)
            _check_newest_schema(reading)
            with _app_on(target):
                with db.engine.connect() as looking:
                    _refuse_data(looking, where)  # before the migrations touch it
                database.upgrade_database()
                with db.engine.begin() as writing:
                    _refuse_data(writing, where)
                    counts = {table.name: _copy_table(reading, writing, table) for table in db.metadata.sorted_tables}
                    _move_id_sequences_past_copied_rows(writing)
    except (SQLAlchemyError, CommandError, ImportError) as error:
        raise CopyError(f"The copy to {where} failed, no row was written: {_first_line(error)}") from None
    finally:
        source.dispose()
    return counts


def _read_only_engine(url: URL) -> Engine:
    """The app's own database, opened so that nothing can write to it."""
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not path.is_file():
            raise CopyError(f"There is no database to copy at {path}.")
        # SQLite's URI filename with mode=ro: the file is opened read-only.
        location = path.resolve().as_uri()
        return create_engine(URL.create("sqlite", database=location, query={"mode": "ro", "uri": "true"}))
    return create_engine(url, execution_options={"postgresql_readonly": True, "isolation_level": "REPEATABLE READ"})


def _begin_snapshot(connection: Connection) -> None:
    """Every table is read from one moment, even if the app is writing meanwhile."""
    if connection.dialect.name == "sqlite":
        # The driver starts no transaction for a SELECT; an explicit one holds one WAL snapshot.
        connection.exec_driver_sql("BEGIN")


def _check_newest_schema(connection: Connection) -> None:
    newest = set(ScriptDirectory(str(database.MIGRATIONS_DIR)).get_heads())
    current = set(MigrationContext.configure(connection).get_current_heads())
    if current != newest:
        raise CopyError(
            f"This database is at schema revision {', '.join(sorted(current)) or 'none'}, not the newest "
            f"({', '.join(sorted(newest))}): run `flask --app wsgi db upgrade` first, then copy."
        )


@contextmanager
def _app_on(url: URL) -> Iterator[None]:
    """A bare app on the target database, current while the block runs: the migrations
    (`upgrade_database`) and `db.engine` work on the target there."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url.render_as_string(hide_password=False)
    database.init_app(app)
    with app.app_context():
        try:
            yield
        finally:
            db.engine.dispose()


def _refuse_data(connection: Connection, where: str) -> None:
    """Any row in any of the app's tables: someone's data, never to be mixed with this copy."""
    existing = set(inspect(connection).get_table_names())
    for table in db.metadata.sorted_tables:
        if table.name in existing and connection.scalar(select(1).select_from(table).limit(1)) is not None:
            raise CopyError(f"{where} already holds data (table {table.name}): copy only into an empty database.")


def _copy_table(source: Connection, target: Connection, table) -> int:
    rows = source.execution_options(yield_per=BATCH_ROWS).execute(select(table).order_by(*table.primary_key.columns))
    copied = 0
    for batch in rows.mappings().partitions():
        # The table's own column types read and write each value: booleans stay booleans, and
        # UTCDateTime gives back aware datetimes that it stores as naive UTC again.
        target.execute(table.insert(), [dict(row) for row in batch])
        copied += len(batch)
    return copied


def _move_id_sequences_past_copied_rows(connection: Connection) -> None:
    """The ids were copied as they are; PostgreSQL's sequences must hand out the next ones."""
    if connection.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        highest = connection.scalar(select(func.max(column)))
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, :column), :next, false)"),
            {"table": table.name, "column": column.name, "next": (highest or 0) + 1},
        )


def _first_line(error: Exception) -> str:
    """The database's own words, without the SQL and parameters (which may hold PINs)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__
