"""Index-only totals for the pages: the account-and-date index carries what a filtered view's totals read, and
a partial index holds the rows with a nominal code (the trial balance and the balance sheet). The amount
indexes hold abs(amount), the size the table sorts and filters by (a sort by amount read every row).

Revision ID: 0038
Revises: 0029
"""
import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

ACCOUNT_DATE_INDEX = "ix_transactions_account_date_id"
NOMINAL_CODE_INDEX = "ix_transactions_owner_nominal_code"
HAS_NOMINAL_CODE = "nominal_code IS NOT NULL AND nominal_code <> ''"
AMOUNT_INDEXES = {"account_id": ("ix_transactions_account_amount_id", "ix_transactions_account_size_id"),
                  "owner_id": ("ix_transactions_owner_amount_id", "ix_transactions_owner_size_id")}


def _account_date_index(include: list[str]) -> None:
    op.drop_index(ACCOUNT_DATE_INDEX, table_name="transactions")
    op.create_index(ACCOUNT_DATE_INDEX, "transactions", ["account_id", "date", "id"], unique=False,
                    postgresql_include=include)


def upgrade():
    _account_date_index(["amount", "owner_id", "currency", "category"])
    op.create_index(NOMINAL_CODE_INDEX, "transactions", ["owner_id", "nominal_code"], unique=False,
                    postgresql_include=["account_id", "currency", "date", "amount"],
                    postgresql_where=sa.text(HAS_NOMINAL_CODE), sqlite_where=sa.text(HAS_NOMINAL_CODE))
    for key, (by_amount, by_size) in AMOUNT_INDEXES.items():
        op.drop_index(by_amount, table_name="transactions")
        op.create_index(by_size, "transactions", [key, sa.text("abs(amount)"), "id"], unique=False)


def downgrade():
    for key, (by_amount, by_size) in AMOUNT_INDEXES.items():
        op.drop_index(by_size, table_name="transactions")
        op.create_index(by_amount, "transactions", [key, "amount", "id"], unique=False)
    op.drop_index(NOMINAL_CODE_INDEX, table_name="transactions")
    _account_date_index(["amount"])
