"""The first schema: locks, rooms, bookings, check-ins and the codes on the locks.

What init-db (create_all) made in the first version, before the PIN job takeover.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 01:35:06
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("ttlock_id", sa.Integer(), nullable=False),
        sa.Column("is_front_door", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("ttlock_id"),
    )
    op.create_table(
        "simulated_passcodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lock_ttlock_id", sa.Integer(), nullable=False),
        sa.Column("pin", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("start_ms", sa.Integer(), nullable=False),
        sa.Column("end_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lock_ttlock_id", "pin"),
    )
    op.create_table(
        "ttlock_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("access_token", sa.String(length=255), nullable=False),
        sa.Column("refresh_token", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("lock_id", sa.Integer(), nullable=True),
        sa.Column("floor", sa.String(length=40), nullable=False),
        sa.Column("directions", sa.Text(), nullable=False),
        sa.Column("wifi_name", sa.String(length=80), nullable=False),
        sa.Column("wifi_password", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["lock_id"], ["locks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("surname", sa.String(length=100), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("check_in_date", sa.Date(), nullable=False),
        sa.Column("check_out_date", sa.Date(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("has_car", sa.Boolean(), nullable=True),
        sa.Column("car_registration", sa.String(length=12), nullable=True),
        sa.Column("pin_state", sa.String(length=16), nullable=False),
        sa.Column("pin", sa.String(length=4), nullable=True),
        sa.Column("pin_job_id", sa.String(length=32), nullable=True),
        sa.Column("pin_attempts", sa.Integer(), nullable=False),
        sa.Column("pin_started_at", sa.DateTime(), nullable=True),
        sa.Column("pin_finished_at", sa.DateTime(), nullable=True),
        sa.Column("pin_error", sa.Text(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("room_token_salt", sa.String(length=64), nullable=True),
        sa.Column("room_token_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
        sa.UniqueConstraint("booking_id"),
        sa.UniqueConstraint("room_token_hash"),
    )
    op.create_table(
        "lock_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_in_id", sa.Integer(), nullable=False),
        sa.Column("lock_id", sa.Integer(), nullable=False),
        sa.Column("pin", sa.String(length=4), nullable=False),
        sa.Column("passcode_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["check_in_id"], ["check_ins.id"]),
        sa.ForeignKeyConstraint(["lock_id"], ["locks.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "one_live_code_per_lock",
        "lock_codes",
        ["check_in_id", "lock_id"],
        unique=True,
        sqlite_where=sa.text("removed_at IS NULL"),
        postgresql_where=sa.text("removed_at IS NULL"),
    )


def downgrade():
    op.drop_index("one_live_code_per_lock", table_name="lock_codes")
    for table in ("lock_codes", "check_ins", "bookings", "rooms", "ttlock_tokens", "simulated_passcodes", "locks"):
        op.drop_table(table)
