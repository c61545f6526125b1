"""Indexes for the transaction table at a million rows: sorting, substring search, running balances.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SORT_INDEXES = (
    ("ix_transactions_account_amount_id", ["account_id", "amount", "id"]),
    ("ix_transactions_account_description_id", ["account_id", "description", "id"]),
    ("ix_transactions_owner_amount_id", ["owner_id", "amount", "id"]),
    ("ix_transactions_owner_description_id", ["owner_id", "description", "id"]),
)
TRIGRAM_INDEX = "ix_transactions_search_text_trgm"
ACCOUNT_DATE_INDEX = "ix_transactions_account_date_id"


def upgrade():
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        for name, columns in SORT_INDEXES:
            batch_op.create_index(name, columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # The account page's index carries the amount: running balances sum an index range, no table reads.
        op.drop_index(ACCOUNT_DATE_INDEX, table_name="transactions")
        op.create_index(ACCOUNT_DATE_INDEX, "transactions", ["account_id", "date", "id"], unique=False,
                        postgresql_include=["amount"])
        # Trigram index: "search_text LIKE '%café%'" reads a few index pages instead of every row.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(TRIGRAM_INDEX, "transactions", ["search_text"], unique=False,
                        postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"})
    else:
        # SQLite cannot use any index for LIKE '%x%'; a plain one keeps its schema equal to the models.
        with op.batch_alter_table("transactions", schema=None) as batch_op:
            batch_op.create_index(TRIGRAM_INDEX, ["search_text"], unique=False)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(ACCOUNT_DATE_INDEX, table_name="transactions")
        op.create_index(ACCOUNT_DATE_INDEX, "transactions", ["account_id", "date", "id"], unique=False)
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index(TRIGRAM_INDEX)
        for name, _columns in reversed(SORT_INDEXES):
            batch_op.drop_index(name)
