"""Backup codes for an offline gateway, the daily lock check, locks that need 6-digit PINs,
PINs up to 9 digits, code removal after Revoke or Cancel as background work, and each lock's
gateway (commands queue per gateway).

Revision ID: 0006
Revises: 0007
Create Date: 2026-12-01 12:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0007"
branch_labels = None
depends_on = None

LIVE_CODE_INDEX = "one_live_code_per_lock_and_job"


def upgrade():
    op.create_table(
        "backup_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_in_id", sa.Integer(), nullable=False),
        sa.Column("lock_id", sa.Integer(), nullable=False),
        sa.Column("passcode_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("valid_until", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("shown_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["check_in_id"], ["check_ins.id"]),
        sa.ForeignKeyConstraint(["lock_id"], ["locks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("check_in_id", "lock_id"),
    )
    op.create_table(
        "lock_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lock_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["lock_id"], ["locks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lock_id"),
    )
    with op.batch_alter_table("locks") as batch_op:
        batch_op.add_column(sa.Column("needs_six_digits", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("gateway_id", sa.Integer(), nullable=True))
    # The server default only fills the existing rows; the model sets the value for new ones.
    with op.batch_alter_table("locks") as batch_op:
        batch_op.alter_column("needs_six_digits", existing_type=sa.Boolean(), server_default=None)
    with op.batch_alter_table("check_ins") as batch_op:
        batch_op.alter_column("pin", existing_type=sa.String(length=4), type_=sa.String(length=9))
        batch_op.add_column(sa.Column("removal_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("removal_error", sa.Text(), nullable=True))
    _alter_lock_code_pin(sa.String(length=4), sa.String(length=9))


def downgrade():
    _alter_lock_code_pin(sa.String(length=9), sa.String(length=4))
    with op.batch_alter_table("check_ins") as batch_op:
        batch_op.drop_column("removal_error")
        batch_op.drop_column("removal_state")
        batch_op.alter_column("pin", existing_type=sa.String(length=9), type_=sa.String(length=4))
    with op.batch_alter_table("locks") as batch_op:
        batch_op.drop_column("gateway_id")
        batch_op.drop_column("needs_six_digits")
    op.drop_table("lock_checks")
    op.drop_table("backup_codes")


def _alter_lock_code_pin(old, new):
    # The batch copy would lose the partial index's condition: drop it and make it again.
    op.drop_index(LIVE_CODE_INDEX, table_name="lock_codes")
    with op.batch_alter_table("lock_codes") as batch_op:
        batch_op.alter_column("pin", existing_type=old, type_=new)
    op.create_index(
        LIVE_CODE_INDEX,
        "lock_codes",
        ["check_in_id", "lock_id", "job_id"],
        unique=True,
        sqlite_where=sa.text("removed_at IS NULL"),
    )
