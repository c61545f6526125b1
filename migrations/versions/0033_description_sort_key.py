"""The description order has its own key, the description alone without case or accents, indexed: it sorted by the
start of the search text before, so a row's counterparty and note changed its place and no index served it.

The key is written out here, not imported, so this revision keeps doing what it did when ``dashboard.search``
changes later. PostgreSQL compares it in the "C" collation, byte by byte as SQLite does, whatever the locale.

Revision ID: 0033
Revises: 0021
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0021"
branch_labels = None
depends_on = None

BATCH = 5000
KEY_LENGTH = 100
KEY_TYPE = sa.String(KEY_LENGTH).with_variant(sa.String(KEY_LENGTH, collation="C"), "postgresql")
transactions = sa.table("transactions", sa.column("id", sa.Integer), sa.column("description", sa.String),
                        sa.column("description_key", sa.String))
OLD_INDEXES = (("ix_transactions_account_description_id", ["account_id", "description", "id"]),
               ("ix_transactions_owner_description_id", ["owner_id", "description", "id"]))
NEW_INDEXES = (("ix_transactions_account_description_key_id", ["account_id", "description_key", "id"]),
               ("ix_transactions_owner_description_key_id", ["owner_id", "description_key", "id"]))


def _key(description):
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", description or "").casefold())
    return unicodedata.normalize("NFKC", "".join(c for c in folded if not unicodedata.combining(c)))[:KEY_LENGTH]


def _fill_keys():
    """Every row's key, a batch of ids at a time (keyset, so no OFFSET)."""
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(sa.select(transactions.c.id, transactions.c.description)
                                  .where(transactions.c.id > last_id).order_by(transactions.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(transactions.update().where(transactions.c.id == sa.bindparam("row_id"))
                           .values(description_key=sa.bindparam("key")),
                           [{"row_id": row.id, "key": _key(row.description)} for row in rows])
        last_id = rows[-1].id


def upgrade():
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description_key", KEY_TYPE, nullable=False, server_default=""))
    _fill_keys()
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        for name, _columns in OLD_INDEXES:
            batch_op.drop_index(name)
        for name, columns in NEW_INDEXES:
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        for name, _columns in NEW_INDEXES:
            batch_op.drop_index(name)
        for name, columns in OLD_INDEXES:
            batch_op.create_index(name, columns, unique=False)
    # Both engines drop a column in place (SQLite since 3.35): a batch copy of the table would gain nothing.
    op.execute("ALTER TABLE transactions DROP COLUMN description_key")
