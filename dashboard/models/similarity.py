"""One vector per transaction, for nearest-neighbour look-ups (see ``dashboard.similarity``)."""
from __future__ import annotations

import numpy as np
from sqlalchemy import REAL, ForeignKey, Index, LargeBinary, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from dashboard.models.base import Base


class Embedding(TypeDecorator):
    """A float32 vector: ``vector(n)`` (pgvector) or ``real[]`` on PostgreSQL, raw float32 bytes on SQLite.

    PostgreSQL is sent an array either way: pgvector casts a real[] to a vector on assignment, and
    answers a vector as its text form "[1,2,...]", which is read back here.
    """

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(REAL))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        vector = np.asarray(value, dtype=np.float32)
        return vector.tolist() if dialect.name == "postgresql" else vector.tobytes()

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # pgvector's text form
            return np.array(value.strip("[]").split(","), dtype=np.float32)
        if isinstance(value, (bytes, memoryview)):
            return np.frombuffer(bytes(value), dtype=np.float32)
        return np.asarray(value, dtype=np.float32)


class TransactionVector(Base):
    __tablename__ = "transaction_vectors"
    __table_args__ = (Index("ix_transaction_vectors_owner_id", "owner_id"),)

    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"),
                                                primary_key=True)
    # Stored on the row, like the transaction's, so a user's vectors are read without a join.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # a dashboard.similarity.vectors.VectorKind
    embedding: Mapped[np.ndarray] = mapped_column(Embedding)
