"""Rate limits shared by workers, then the owner's tables: accounts, audit trail, alert outbox.

Before migrations, init-db's create_all added these tables to any database it met, whatever
its other tables' shape: a database recognised at 0001 or 0002 may have them already, so
each is created only where it is missing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 02:09:53
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("rate_limit_events_by_key", "rate_limit_events", ["key_hash", "at"], if_not_exists=True)
    op.create_index("ix_rate_limit_events_at", "rate_limit_events", ["at"], if_not_exists=True)

    op.create_table(
        "owner_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        if_not_exists=True,
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("booking_reference", sa.String(length=20), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_audit_events_booking_reference", "audit_events", ["booking_reference"], if_not_exists=True
    )
    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("booking_reference", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key", "channel"),
        if_not_exists=True,
    )
    op.create_index("alerts_waiting", "alert_outbox", ["sent_at", "next_attempt_at"], if_not_exists=True)


def downgrade():
    op.drop_index("alerts_waiting", table_name="alert_outbox")
    op.drop_table("alert_outbox")
    op.drop_index("ix_audit_events_booking_reference", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("owner_accounts")
    op.drop_index("ix_rate_limit_events_at", table_name="rate_limit_events")
    op.drop_index("rate_limit_events_by_key", table_name="rate_limit_events")
    op.drop_table("rate_limit_events")
