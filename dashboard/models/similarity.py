"""Vectors for nearest-neighbour look-ups (see ``dashboard.similarity``): one per owner and distinct key, and a
small row per transaction pointing at its key's vector.

A merchant's repeated lines have one key (their words without digits, and their amount band), so an owner has
as many vectors as distinct keys (the bench's 100,000-row file has 28): the HNSW index grows only with new keys,
and is not crowded with identical vectors, which HNSW is not designed for (pgvector/pgvector#837).
"""
from __future__ import annotations

import weakref

import numpy as np
from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from dashboard.models.base import Base

# The dialects (one per engine) whose vector column is pgvector's: ``dashboard.similarity.store.search_path``
# adds an engine's when it finds one, so the column binds pgvector's text form there instead of bytes.
PGVECTOR_DIALECTS: weakref.WeakSet = weakref.WeakSet()


def pgvector_text(value) -> str:
    """pgvector's input form, "[x,y,...]": float32 values written so they read back exactly."""
    return "[" + ",".join(map(repr, np.asarray(value, dtype=np.float32).tolist())) + "]"


class Embedding(TypeDecorator):
    """A vector: pgvector's ``vector(n)`` where the migration could create the extension, else its
    raw float16 bytes (bytea, BLOB): half the bytes to write, and a cosine as good to three places.
    Both read back as float32 arrays; writes bind pgvector's text form or the float16 bytes, whichever the
    engine's column takes (the bulk writes in ``dashboard.similarity.store`` use COPY on PostgreSQL).
    """

    impl = LargeBinary
    cache_ok = True

    def bind_processor(self, dialect):
        """Replaces LargeBinary's step too: a pgvector column takes text, not bytes."""
        binary = dialect.dbapi.Binary if dialect.dbapi is not None else bytes

        def process(value):
            if value is None:
                return None
            if dialect in PGVECTOR_DIALECTS:
                return pgvector_text(value)
            return binary(np.asarray(value, dtype=np.float16).tobytes())
        return process

    def result_processor(self, dialect, coltype):
        """``process_result_value`` on the driver's value itself: LargeBinary's own step would first make bytes of
        it, which fails on pgvector's text form."""
        return lambda value: self.process_result_value(value, dialect)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # pgvector's text form
            return np.array(value.strip("[]").split(","), dtype=np.float32)
        if isinstance(value, (bytes, memoryview)):
            return np.frombuffer(bytes(value), dtype=np.float16).astype(np.float32)
        return np.asarray(value, dtype=np.float32)


class SimilarityVector(Base):
    """One owner's vector of one key, of one kind. ``digest`` names the vector by its float16 bytes, so the same
    key (or any key giving the same vector) is found, not stored twice."""

    __tablename__ = "similarity_vectors"
    __table_args__ = (UniqueConstraint("owner_id", "kind", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # a dashboard.similarity.vectors.VectorKind
    digest: Mapped[int] = mapped_column(BigInteger)
    embedding: Mapped[np.ndarray] = mapped_column(Embedding)


class TransactionVector(Base):
    """Which vector a transaction has. Whose it is, and which account's, the transaction says: the access Scope
    filters the transactions these rows join (their indexes serve it), and this table, written a row per
    imported transaction, keeps one index besides its key."""

    __tablename__ = "transaction_vectors"
    __table_args__ = (Index("ix_transaction_vectors_vector_id", "vector_id", "transaction_id"),)

    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"),
                                                primary_key=True)
    # The transaction's owner, as every table that grows with use carries it (to be distributed by owner). No
    # foreign keys of its own: the transaction's key already holds it, and each check costs an import. Nor to
    # the vector: the store removes a vector only once no row points at it.
    owner_id: Mapped[int]
    vector_id: Mapped[int]
