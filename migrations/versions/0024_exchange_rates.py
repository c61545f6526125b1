"""Exchange rates by date (published and hand-entered), rates as integer 1/10^10ths.

Revision ID: 0024
Revises: 0026
"""
import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_exchange_rates_owner_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
    )
    with op.batch_alter_table("exchange_rates") as batch_op:
        batch_op.create_index("ix_exchange_rates_base_quote_date", ["base", "quote", "date"], unique=False)


def downgrade():
    with op.batch_alter_table("exchange_rates") as batch_op:
        batch_op.drop_index("ix_exchange_rates_base_quote_date")
    op.drop_table("exchange_rates")
