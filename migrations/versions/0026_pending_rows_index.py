"""A partial index of the pending rows: account balances add them to the monthly totals instead of summing every row.

Revision ID: 0026
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0022"
branch_labels = None
depends_on = None

PENDING_INDEX = "ix_transactions_account_pending"


def upgrade():
    op.create_index(PENDING_INDEX, "transactions", ["owner_id", "account_id"], unique=False,
                    postgresql_include=["amount"], postgresql_where=sa.text("status = 'pending'"),
                    sqlite_where=sa.text("status = 'pending'"))


def downgrade():
    op.drop_index(PENDING_INDEX, table_name="transactions")
