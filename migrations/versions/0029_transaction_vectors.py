"""Transaction vectors for similar transactions and category suggestions.

On a PostgreSQL where the ``vector`` extension can be created (it is in
``pg_available_extensions``) the column is a pgvector ``vector`` with an HNSW
index for cosine distance; on any other PostgreSQL and on SQLite it holds the
vector's raw float16 bytes, searched in Python (numpy). The width is written
out here so this revision keeps doing what it did when the code changes.

Revision ID: 0029
Revises: 0030
"""
import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0030"
branch_labels = None
depends_on = None

WIDTH = 264


def _pgvector_available(connection) -> bool:
    return connection.execute(sa.text(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).first() is not None


def upgrade():
    connection = op.get_bind()
    pgvector = connection.dialect.name == "postgresql" and _pgvector_available(connection)
    if pgvector:
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "transaction_vectors",
        sa.Column("transaction_id", sa.Integer, sa.ForeignKey("transactions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_transaction_vectors_owner_id", "transaction_vectors", ["owner_id"])
    if pgvector:
        op.execute(f"ALTER TABLE transaction_vectors ALTER COLUMN embedding TYPE vector({WIDTH}) "
                   "USING NULL")
        op.execute("CREATE INDEX ix_transaction_vectors_embedding_hnsw ON transaction_vectors "
                   "USING hnsw (embedding vector_cosine_ops)")


def downgrade():
    op.drop_table("transaction_vectors")  # the extension stays: other databases objects may use it
