"""Simulated codes' start and end in epoch milliseconds need 64 bits: PostgreSQL's INTEGER has 32.

SQLite stores every integer in up to 64 bits, so there only the declared type changes.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 12:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("simulated_passcodes") as batch_op:
        batch_op.alter_column("start_ms", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)
        batch_op.alter_column("end_ms", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)


def downgrade():
    with op.batch_alter_table("simulated_passcodes") as batch_op:
        batch_op.alter_column("start_ms", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
        batch_op.alter_column("end_ms", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
