"""Splits of transactions, budgets and the user's decisions on recurring payments.

Revision ID: 0023
Revises: 0028
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "transaction_splits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=120), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_transaction_splits_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_transaction_splits_owner_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["transaction_id"], ["transactions.id"],
                                name=op.f("fk_transaction_splits_transaction_id_transactions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_splits")),
        sa.UniqueConstraint("transaction_id", "position", name=op.f("uq_transaction_splits_transaction_id_position")),
    )
    op.create_index("ix_transaction_splits_owner_id", "transaction_splits", ["owner_id"])
    op.create_table(
        "budgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=True),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("rollover_unspent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("rollover_overspent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], name=op.f("fk_budgets_category_id_categories"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_budgets_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budgets")),
    )
    op.create_index("ix_budgets_owner_id_category_id", "budgets", ["owner_id", "category_id"])
    op.create_table(
        "recurring_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("cadence", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_recurring_payments_owner_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_payments")),
        sa.UniqueConstraint("owner_id", "key", "currency", name=op.f("uq_recurring_payments_owner_id_key_currency")),
    )


def downgrade():
    op.drop_table("recurring_payments")
    op.drop_index("ix_budgets_owner_id_category_id", table_name="budgets")
    op.drop_table("budgets")
    op.drop_index("ix_transaction_splits_owner_id", table_name="transaction_splits")
    op.drop_table("transaction_splits")
