"""Limits counted per client in one atomic step, and owner sessions that sign-out ends everywhere.

rate_limit_counters replaces rate_limit_events: a counter row per key, client and window is
counted up with one conditional UPDATE, where reading events and then adding one let a burst of
requests through together. The old events only counted the last day's tries, so they are
dropped, not carried over. owner_accounts.session_generation starts at 0: sessions made before
it hold none and are signed out once.

Revision ID: 0004
Revises: 0008
Create Date: 2026-12-01 12:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("window_end", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash", "client", "window_end"),
    )
    op.create_index("ix_rate_limit_counters_window_end", "rate_limit_counters", ["window_end"])
    op.drop_index("ix_rate_limit_events_at", table_name="rate_limit_events")
    op.drop_index("rate_limit_events_by_key", table_name="rate_limit_events")
    op.drop_table("rate_limit_events")
    with op.batch_alter_table("owner_accounts") as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("owner_accounts") as batch_op:
        batch_op.drop_column("session_generation")
    op.create_table(
        "rate_limit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("rate_limit_events_by_key", "rate_limit_events", ["key_hash", "at"])
    op.create_index("ix_rate_limit_events_at", "rate_limit_events", ["at"])
    op.drop_index("ix_rate_limit_counters_window_end", table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
