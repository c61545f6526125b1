"""Transaction search ignores accents and covers notes and references: every row's search text is rebuilt.

The normalisation is written out here, not imported, so this revision keeps doing what it did when
``dashboard.search`` changes later.

Revision ID: 0028
Revises: 0024
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0024"
branch_labels = None
depends_on = None

BATCH = 5000
transactions = sa.table("transactions", sa.column("id", sa.Integer), sa.column("description", sa.String),
                        sa.column("counterparty", sa.String), sa.column("note", sa.Text),
                        sa.column("external_id", sa.String), sa.column("search_text", sa.Text))


def _folded(*parts):
    return unicodedata.normalize("NFKC", " ".join(p for p in parts if p)).casefold()


def _without_accents(text):
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFKC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _reference(external_id):
    if not external_id or ":" not in external_id or external_id.startswith("h:"):
        return None
    return external_id.split(":", 1)[1]


def _new_text(row):
    return _without_accents(_folded(row.description, row.counterparty, row.note, _reference(row.external_id)))


def _old_text(row):
    return _folded(row.description, row.counterparty)


def _rebuild(text_of):
    """Every row's search text from ``text_of(row)``, a batch of ids at a time (keyset, so no OFFSET)."""
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(transactions.c.id, transactions.c.description, transactions.c.counterparty,
                      transactions.c.note, transactions.c.external_id)
            .where(transactions.c.id > last_id).order_by(transactions.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(
            transactions.update().where(transactions.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("text")),
            [{"row_id": row.id, "text": text_of(row)} for row in rows])
        last_id = rows[-1].id


def upgrade():
    _rebuild(_new_text)


def downgrade():
    _rebuild(_old_text)
