"""Alembic's environment, run by `flask --app wsgi db upgrade` and by `init-db` alike."""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

# The database and the tables the models describe, for `db migrate` to compare against.
db = current_app.extensions["migrate"].db

# A database made by create_all before migrations is at 0001 or 0002. Only 0002's columns tell
# them apart: create_all added whole new tables (0003's) to any database, and 0003 keeps them.
FIRST_SCHEMA = "0001"
PIN_JOB_TAKEOVER = "0002"


def stamp_database_made_by_create_all(connection: sa.Connection) -> None:
    """Record the revision of a database made by init-db before migrations, so that
    the upgrade starts from there and keeps every row. Any other database is left alone."""
    migration_context = context.get_context()
    inspector = sa.inspect(connection)
    if migration_context.get_current_heads() or not inspector.has_table("bookings"):
        return  # already versioned, or empty
    lock_code_columns = {column["name"] for column in inspector.get_columns("lock_codes")}
    revision = PIN_JOB_TAKEOVER if "job_id" in lock_code_columns else FIRST_SCHEMA
    migration_context.stamp(context.script, revision)


def run_migrations_offline() -> None:
    """`db upgrade --sql`: print the SQL instead of running it (not for SQLite, whose batch
    changes read the live table)."""
    context.configure(url=db.engine.url, target_metadata=db.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with db.engine.connect() as connection, _foreign_keys_off(connection):
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            # SQLite cannot ALTER most things: batch operations copy the table instead.
            render_as_batch=True,
            compare_type=True,
            compare_server_default=True,
            process_revision_directives=_skip_empty_autogenerate,
            render_item=_render_app_types_as_sql_types,
        )
        with context.begin_transaction():
            stamp_database_made_by_create_all(connection)
            context.run_migrations()


@contextmanager
def _foreign_keys_off(connection: sa.Connection):
    """SQLite changes a table by copying it, and enforced foreign keys would break the copy of
    a table that others point to. The pooled connection gets its setting back afterwards."""
    if connection.dialect.name != "sqlite":
        yield
        return
    enforced = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        yield
    finally:
        connection.rollback()
        connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
        connection.commit()


def _render_app_types_as_sql_types(type_, obj, autogen_context):
    """`db migrate` writes the app's column types (UTCDateTime) as the SQL types they store, so
    a migration never imports the app and stays true whatever the models become."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _skip_empty_autogenerate(migration_context, revision, directives) -> None:
    """`db migrate` writes no file when the models and the database already agree."""
    if getattr(context.config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        print("No changes in schema detected.")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
