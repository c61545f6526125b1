"""One vector per transaction, for nearest-neighbour look-ups (see ``dashboard.similarity``)."""
from __future__ import annotations

import numpy as np
from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from dashboard.models.base import Base


class Embedding(TypeDecorator):
    """A vector: pgvector's ``vector(n)`` where the migration could create the extension, else its
    raw float16 bytes (bytea, BLOB): half the bytes to write on import, and a cosine as good to three
    places. A vector column answers in its text form "[1,2,...]", read back here; rows are written by
    ``dashboard.similarity.store`` (COPY on PostgreSQL), which knows the column's type.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else np.asarray(value, dtype=np.float16).tobytes()

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


class TransactionVector(Base):
    __tablename__ = "transaction_vectors"
    __table_args__ = (Index("ix_transaction_vectors_owner_id", "owner_id"),)

    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"),
                                                primary_key=True)
    # The transaction's, copied so the access Scope filters vectors before any join. No foreign keys of their
    # own: the transaction's key already holds them (a vector goes with its transaction), and two more checks a
    # row cost an import a third of what its vectors add.
    owner_id: Mapped[int]
    account_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # a dashboard.similarity.vectors.VectorKind
    embedding: Mapped[np.ndarray] = mapped_column(Embedding)
