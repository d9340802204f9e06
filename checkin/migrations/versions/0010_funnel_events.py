"""Anonymous funnel events for the owner's insights page: no guest data, so they outlive the purge.

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-01 12:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "funnel_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("wait_ms", sa.Integer(), nullable=True),
        sa.Column("before_arrival", sa.Boolean(), nullable=True),
        sa.Column("lock_name", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("funnel_events_by_time", "funnel_events", ["occurred_at", "step"])


def downgrade():
    op.drop_index("funnel_events_by_time", table_name="funnel_events")
    op.drop_table("funnel_events")
