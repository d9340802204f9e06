"""Room links follow the PIN, and only the confirming browser carries on.

check_ins.room_link_job_id is the PIN job whose PIN the room link shows: a revoked or remade PIN
ends the link. check_ins.confirmed_by is a hash of the key the confirming browser's session
holds. Links handed out before this revision belong to the check-in's current job, so a guest's
link keeps working; check-ins confirmed before it have no confirming browser on record, so their
guests use the room link or look the booking up again.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01 12:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("check_ins") as batch_op:
        batch_op.add_column(sa.Column("confirmed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("room_link_job_id", sa.String(length=32), nullable=True))
    op.execute("UPDATE check_ins SET room_link_job_id = pin_job_id WHERE room_token_hash IS NOT NULL")


def downgrade():
    with op.batch_alter_table("check_ins") as batch_op:
        batch_op.drop_column("room_link_job_id")
        batch_op.drop_column("confirmed_by")
