"""Nominal codes: each owner's chart of accounts (code, name, kind).

Revision ID: 0020
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "nominal_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_nominal_codes_owner_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nominal_codes")),
        sa.UniqueConstraint("owner_id", "code", name=op.f("uq_nominal_codes_owner_id_code")),
    )


def downgrade():
    op.drop_table("nominal_codes")
