"""Bookings from platforms and calendars: platform codes, room names, calendar feeds and blocks.

A booking may wait for a room (its platform room name maps to none yet), keeps where it came
from, the platform's code shared by a multi-room booking's rows, the last 4 digits of the
guest's phone (calendar bookings) and, for calendar bookings, the feed and event it came from.
Existing bookings were typed in or imported from our own CSV: source "owner".

Revision ID: 0007
Revises: 0010
Create Date: 2026-12-01 12:03:38
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(), nullable=True),
        sa.Column("failures_in_row", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "room_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_name", "room_id"),
    )
    op.create_index("ix_room_names_source_name", "room_names", ["source_name"])
    op.create_table(
        "calendar_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["calendar_id"], ["calendars.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_calendar_blocks_calendar_id", "calendar_blocks", ["calendar_id"])

    with op.batch_alter_table("bookings") as batch_op:
        batch_op.add_column(sa.Column("platform_reference", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("phone_last4", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=16), server_default="owner", nullable=False))
        batch_op.add_column(sa.Column("source_room_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("calendar_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("calendar_uid", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("missing_from_calendar_at", sa.DateTime(), nullable=True))
        batch_op.alter_column("room_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index("ix_bookings_calendar_uid", ["calendar_uid"])
        batch_op.create_index("ix_bookings_platform_reference", ["platform_reference"])
        batch_op.create_foreign_key("fk_bookings_calendar_id", "calendars", ["calendar_id"], ["id"])


def downgrade():
    # Bookings still waiting for a room cannot go back to a schema where every booking has one.
    op.execute("DELETE FROM bookings WHERE room_id IS NULL")
    with op.batch_alter_table("bookings") as batch_op:
        batch_op.drop_constraint("fk_bookings_calendar_id", type_="foreignkey")
        batch_op.drop_index("ix_bookings_platform_reference")
        batch_op.drop_index("ix_bookings_calendar_uid")
        batch_op.alter_column("room_id", existing_type=sa.Integer(), nullable=False)
        for column in ("missing_from_calendar_at", "calendar_uid", "calendar_id", "source_room_name", "source",
                       "phone_last4", "platform_reference"):
            batch_op.drop_column(column)
    op.drop_index("ix_calendar_blocks_calendar_id", table_name="calendar_blocks")
    op.drop_table("calendar_blocks")
    op.drop_index("ix_room_names_source_name", table_name="room_names")
    op.drop_table("room_names")
    op.drop_table("calendars")
