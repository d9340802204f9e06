"""PIN jobs survive dead workers: a job owner and heartbeat, and lock codes by run of the job.

Each check-in's PIN job records the process running it and its last sign of life; each code on
a lock belongs to one run of the job. Codes placed before this revision get their check-in's
job id: the old index allowed one live code per lock and check-in, so they belong to its
latest run.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 01:44:26
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("check_ins") as batch_op:
        batch_op.add_column(sa.Column("pin_job_owner", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("pin_heartbeat_at", sa.DateTime(), nullable=True))

    op.drop_index("one_live_code_per_lock", table_name="lock_codes")
    with op.batch_alter_table("lock_codes") as batch_op:
        batch_op.add_column(sa.Column("job_id", sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE lock_codes SET job_id = COALESCE("
        "(SELECT pin_job_id FROM check_ins WHERE check_ins.id = lock_codes.check_in_id), '')"
    )
    with op.batch_alter_table("lock_codes") as batch_op:
        batch_op.alter_column("job_id", existing_type=sa.String(length=32), nullable=False)
    op.create_index(
        "one_live_code_per_lock_and_job",
        "lock_codes",
        ["check_in_id", "lock_id", "job_id"],
        unique=True,
        sqlite_where=sa.text("removed_at IS NULL"),
        postgresql_where=sa.text("removed_at IS NULL"),
    )


def downgrade():
    op.drop_index("one_live_code_per_lock_and_job", table_name="lock_codes")
    with op.batch_alter_table("lock_codes") as batch_op:
        batch_op.drop_column("job_id")
    op.create_index(
        "one_live_code_per_lock",
        "lock_codes",
        ["check_in_id", "lock_id"],
        unique=True,
        sqlite_where=sa.text("removed_at IS NULL"),
        postgresql_where=sa.text("removed_at IS NULL"),
    )
    with op.batch_alter_table("check_ins") as batch_op:
        batch_op.drop_column("pin_heartbeat_at")
        batch_op.drop_column("pin_job_owner")
