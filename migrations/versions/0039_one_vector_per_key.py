"""One vector per owner and distinct key: a merchant's repeated lines share one row of ``similarity_vectors``
(where the HNSW index now is, on pgvector), and ``transaction_vectors`` keeps only which vector each row has
(and its owner): its account and its index by owner go, since queries filter the transactions they join.
An import of 100,000 rows of 28 merchants added 100,000 vectors to the HNSW graph; it now adds 28.

Existing vectors are grouped as they are stored: one owner's rows of one kind with the same vector share one
new row (the same key gives the same vector). Each vector is named by a digest of its float16 bytes, written
out here as dashboard.similarity.store.vector_digests computes it, so this revision keeps doing what it did
when the code changes. Downgrade gives every row its own copy of its vector back.

Revision ID: 0039
Revises: 0038
"""
import hashlib

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

WIDTH = 264
BATCH = 5_000


def _is_pgvector(connection, table: str) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    found = connection.execute(sa.text(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = to_regclass(:table) AND attname = 'embedding'"), {"table": table}).scalar()
    return bool(found and found.startswith("vector"))


def _float16_bytes(stored) -> bytes:
    """A stored vector's float16 bytes: the bytes column holds them; pgvector answers its text form."""
    if isinstance(stored, str):
        return np.array(stored.strip("[]").split(","), dtype=np.float32).astype(np.float16).tobytes()
    return bytes(stored)


def _digest(stored) -> int:
    return int.from_bytes(hashlib.blake2b(_float16_bytes(stored), digest_size=8).digest(), "big", signed=True)


def _embedding_type(pgvector: bool):
    if pgvector:
        from pgvector.sqlalchemy import Vector
        return Vector(WIDTH)
    return sa.LargeBinary()


def _rows_table(owner_index: bool) -> sa.Table:
    """transaction_vectors with both its old and its new columns, as each direction has it when SQLite copies
    the table (written out, so the copy reflects nothing)."""
    return sa.Table(
        "transaction_vectors", sa.MetaData(),
        sa.Column("transaction_id", sa.Integer,
                  sa.ForeignKey("transactions.id", ondelete="CASCADE",
                                name="fk_transaction_vectors_transaction_id_transactions"), primary_key=True),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("account_id", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("vector_id", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("transaction_id", name="pk_transaction_vectors"),
        *([sa.Index("ix_transaction_vectors_owner_id", "owner_id")] if owner_index else []),
    )


def upgrade():
    connection = op.get_bind()
    pgvector = _is_pgvector(connection, "transaction_vectors")
    vectors = op.create_table(
        "similarity_vectors",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE",
                                                        name="fk_similarity_vectors_owner_id_users"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("digest", sa.BigInteger, nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_similarity_vectors"),
        sa.UniqueConstraint("owner_id", "kind", "digest", name="uq_similarity_vectors_owner_id_kind_digest"),
    )
    if pgvector:
        op.execute(f"ALTER TABLE similarity_vectors ALTER COLUMN embedding TYPE vector({WIDTH}) USING NULL")
        vectors = sa.table("similarity_vectors", sa.column("id"), sa.column("owner_id"), sa.column("kind"),
                           sa.column("digest"), sa.column("embedding", _embedding_type(True)))
    op.add_column("transaction_vectors", sa.Column("vector_id", sa.Integer, nullable=True))
    op.execute("UPDATE transaction_vectors SET vector_id = numbered.number FROM ("
               "SELECT transaction_id, dense_rank() OVER (ORDER BY owner_id, kind, embedding) AS number "
               "FROM transaction_vectors) AS numbered WHERE numbered.transaction_id = transaction_vectors.transaction_id")
    _copy_distinct_vectors(connection, vectors)
    if pgvector:
        op.execute("SELECT setval(pg_get_serial_sequence('similarity_vectors', 'id'), "
                   "COALESCE((SELECT max(id) FROM similarity_vectors), 0) + 1, false)")
        op.execute("CREATE INDEX ix_similarity_vectors_embedding_hnsw ON similarity_vectors "
                   "USING hnsw (embedding vector_cosine_ops)")
    with op.batch_alter_table("transaction_vectors", copy_from=_rows_table(owner_index=True)) as batch_op:
        batch_op.alter_column("vector_id", existing_type=sa.Integer, nullable=False)
        batch_op.drop_index("ix_transaction_vectors_owner_id")
        batch_op.drop_column("account_id")
        batch_op.drop_column("kind")
        batch_op.drop_column("embedding")  # on pgvector its HNSW index goes with it
    op.create_index("ix_transaction_vectors_vector_id", "transaction_vectors", ["vector_id", "transaction_id"])


def _copy_distinct_vectors(connection, vectors: sa.Table) -> None:
    """One row of similarity_vectors per number given above, with its digest; two numbers whose vectors have
    the same float16 bytes (possible only on pgvector, which keeps float32) become one."""
    seen: dict[tuple, int] = {}
    after = 0
    while True:
        found = connection.execute(sa.text(
            "SELECT vector_id, owner_id, kind, embedding FROM transaction_vectors WHERE transaction_id IN "
            "(SELECT min(transaction_id) FROM transaction_vectors WHERE vector_id > :after GROUP BY vector_id "
            "ORDER BY vector_id LIMIT :batch) ORDER BY vector_id"), {"after": after, "batch": BATCH}).all()
        if not found:
            return
        fresh = []
        for number, owner_id, kind, embedding in found:
            name = (owner_id, kind, _digest(embedding))
            if name in seen:
                connection.execute(sa.text("UPDATE transaction_vectors SET vector_id = :kept WHERE vector_id = :number"),
                                   {"kept": seen[name], "number": number})
                continue
            seen[name] = number
            if isinstance(embedding, str):
                embedding = np.array(embedding.strip("[]").split(","), dtype=np.float32)
            fresh.append({"id": number, "owner_id": owner_id, "kind": kind, "digest": name[2],
                          "embedding": embedding if isinstance(embedding, np.ndarray) else bytes(embedding)})
        if fresh:
            connection.execute(vectors.insert(), fresh)
        after = found[-1][0]


def downgrade():
    connection = op.get_bind()
    pgvector = _is_pgvector(connection, "similarity_vectors")
    op.drop_index("ix_transaction_vectors_vector_id", table_name="transaction_vectors")
    op.add_column("transaction_vectors", sa.Column("account_id", sa.Integer, nullable=True))
    op.add_column("transaction_vectors", sa.Column("kind", sa.String(16), nullable=True))
    if pgvector:
        op.execute(f"ALTER TABLE transaction_vectors ADD COLUMN embedding vector({WIDTH})")
    else:
        op.add_column("transaction_vectors", sa.Column("embedding", sa.LargeBinary(), nullable=True))
    op.execute("DELETE FROM transaction_vectors WHERE vector_id NOT IN (SELECT id FROM similarity_vectors)")
    op.execute("UPDATE transaction_vectors SET kind = similarity_vectors.kind, embedding = similarity_vectors.embedding "
               "FROM similarity_vectors WHERE similarity_vectors.id = transaction_vectors.vector_id")
    op.execute("UPDATE transaction_vectors SET account_id = transactions.account_id "
               "FROM transactions WHERE transactions.id = transaction_vectors.transaction_id")
    with op.batch_alter_table("transaction_vectors", copy_from=_rows_table(owner_index=False)) as batch_op:
        batch_op.drop_column("vector_id")
        batch_op.alter_column("account_id", existing_type=sa.Integer, nullable=False)
        batch_op.create_index("ix_transaction_vectors_owner_id", ["owner_id"])
        batch_op.alter_column("kind", existing_type=sa.String(16), nullable=False)
        batch_op.alter_column("embedding", existing_type=sa.LargeBinary(), nullable=False)
    if pgvector:
        op.execute("CREATE INDEX ix_transaction_vectors_embedding_hnsw ON transaction_vectors "
                   "USING hnsw (embedding vector_cosine_ops)")
    op.drop_table("similarity_vectors")
