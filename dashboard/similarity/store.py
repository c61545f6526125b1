"""Storing transaction vectors and finding a scope's nearest neighbours: pgvector where the column is a
``vector`` (PostgreSQL with the extension), numpy over the scope's vectors everywhere else.

Both paths answer the same question the same way (cosine similarity, only rows
the :class:`~dashboard.access.Scope` may read), so callers never ask which is in use;
:func:`search_path` says, for ``/readyz`` and the admin overview.
"""
from __future__ import annotations

import io
import weakref
from itertools import repeat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from pgvector.sqlalchemy import Vector
from sqlalchemy import BigInteger, Float, bindparam, delete, event, func, select, text, type_coerce
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.models import Transaction, TransactionVector
from dashboard.models.base import MONEY_SCALE
from dashboard.similarity.vectors import DEFAULT_KIND, WIDTH, VectorKind, vector_keys, vectors_for_keys

PGVECTOR, NUMPY = "pgvector", "numpy"
MONEY_UNITS = 10 ** MONEY_SCALE  # amounts are read as Money's stored integers: no Decimal a row
BATCH = 5_000
PENDING_OWNERS = "similarity_pending_owners"  # session.info key: owners whose new rows need vectors at commit
_paths: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_iterative: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def search_path(session: Session) -> str:
    """ "pgvector" when the vector column is pgvector's type, else "numpy"; read once per engine."""
    engine = session.get_bind().engine
    if engine not in _paths:
        found = None
        if engine.dialect.name == "postgresql":
            found = session.execute(text(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = to_regclass('transaction_vectors') AND attname = 'embedding'")).scalar()
        _paths[engine] = PGVECTOR if found and found.startswith("vector") else NUMPY
    return _paths[engine]


def _iterative_scan(session: Session) -> bool:
    engine = session.get_bind().engine
    if engine not in _iterative:
        version = session.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).scalar()
        _iterative[engine] = tuple(int(part) for part in (version or "0").split(".")[:2]) >= (0, 8)
    return _iterative[engine]


def current_kind() -> VectorKind:
    from flask import current_app, has_app_context
    configured = current_app.config.get("SIMILARITY_KIND") if has_app_context() else None
    return VectorKind(configured or DEFAULT_KIND)


def newest_transaction_id(session: Session) -> int:
    """The highest transaction id now: rows inserted after this call have higher ids (one index probe)."""
    return session.scalar(select(func.max(Transaction.id))) or 0


def mark_new_rows(session: Session, owner_ids: Iterable[int], after_id: int = 0) -> None:
    """Called by the ledger after an insert: these owners' rows above ``after_id`` that have no vector get one
    before the commit (so the look-up for them reads the new rows only, not the owner's whole history)."""
    pending = session.info.setdefault(PENDING_OWNERS, {})
    for owner_id in owner_ids:
        pending[owner_id] = min(pending.get(owner_id, after_id), after_id)


@event.listens_for(Session, "before_commit")
def index_pending(session: Session) -> None:
    """Give the rows marked by :func:`mark_new_rows` their vectors now; the commit does it for any left.

    A long write calls it before its audit event: the event's chain lock is held to the commit, and
    every audited write (a login too) waits for it.
    """
    pending = session.info.pop(PENDING_OWNERS, None)
    for owner_id, after_id in sorted((pending or {}).items()):
        index_missing(session, [owner_id], after_id=after_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_rows(session: Session) -> None:
    session.info.pop(PENDING_OWNERS, None)


def index_missing(session: Session, owner_ids: Iterable[int], kind: VectorKind | None = None,
                  after_id: int = 0) -> int:
    """Compute and store the vectors of these owners' transactions (with ids above ``after_id``) that have
    none, in batches; returns how many."""
    kind = kind or current_kind()
    written, after = 0, after_id
    owner_ids = sorted(owner_ids)
    while True:
        # Two range reads a batch, not an anti-join: PostgreSQL's statistics, stale in the middle of an
        # import, planned that as a hash join over every vector (90 ms a batch instead of 3).
        rows = session.connection().execute(
            _vector_inputs(Transaction.owner_id.in_(owner_ids), Transaction.id > after)
            .order_by(Transaction.id).limit(BATCH)
        ).all()
        if not rows:
            return written
        stored = set(session.scalars(select(TransactionVector.transaction_id).where(
            TransactionVector.transaction_id.between(rows[0].id, rows[-1].id))))
        missing = [row for row in rows if row.id not in stored]
        if missing:
            _store(session, kind, missing)
        written += len(missing)
        after = rows[-1].id


def renew_vectors(session: Session, criteria) -> None:
    """The rows matching ``criteria``, whose description, counterparty or amount just changed, get new vectors
    now: only those rows are read, however long the owner's history after them."""
    session.execute(delete(TransactionVector).where(
        TransactionVector.transaction_id.in_(select(Transaction.id).where(*criteria))))
    rows = session.connection().execute(_vector_inputs(*criteria)).all()
    if rows:
        _store(session, current_kind(), rows)


def _vector_inputs(*criteria):
    """What a vector is computed from, in the order ``_store`` reads it (amounts as Money's stored units)."""
    return select(Transaction.id, Transaction.owner_id, Transaction.account_id, Transaction.description,
                  Transaction.counterparty, type_coerce(Transaction.amount, BigInteger).label("amount_units")
                  ).where(*criteria)


def rebuild(session: Session, kind: VectorKind | None = None) -> int:
    """Every transaction's vector computed afresh (after a change of kind, or to repair); returns how many."""
    session.execute(delete(TransactionVector))
    owners = session.scalars(select(Transaction.owner_id).distinct()).all()
    return index_missing(session, owners, kind)


def _store(session: Session, kind: VectorKind, rows) -> None:
    """Each distinct (text, amount band) is computed and encoded once: a merchant's repeated lines share their
    vector. SQLite gets one executemany of plain tuples; PostgreSQL one binary COPY built by numpy."""
    ids, owner_ids, account_ids, descriptions, counterparties, amounts = zip(*rows)  # index_missing's columns
    keys = vector_keys(list(zip(descriptions, counterparties, amounts)), per_unit=MONEY_UNITS)
    distinct = list(dict.fromkeys(keys))
    position = {key: number for number, key in enumerate(distinct)}
    matrix = vectors_for_keys(kind, distinct)
    if session.get_bind().dialect.name != "postgresql":
        encoded = [vector.tobytes() for vector in matrix.astype(np.float16)]  # the bytes Embedding stores
        session.connection().exec_driver_sql(
            "INSERT INTO transaction_vectors (transaction_id, owner_id, account_id, kind, embedding) "
            "VALUES (?, ?, ?, ?, ?)",
            list(zip(ids, owner_ids, account_ids, repeat(kind.value), [encoded[position[key]] for key in keys])))
        return
    buffer = _binary_copy((ids, owner_ids, account_ids), kind, _copy_embeddings(matrix, search_path(session) == PGVECTOR),
                          np.array([position[key] for key in keys], dtype=np.intp))
    with session.connection().connection.cursor() as cursor:
        cursor.copy_expert("COPY transaction_vectors (transaction_id, owner_id, account_id, kind, embedding) "
                           "FROM STDIN (FORMAT binary)", buffer)


COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, no flags, no header extension
COPY_TRAILER = b"\xff\xff"


def _copy_embeddings(matrix: np.ndarray, pgvector: bool) -> np.ndarray:
    """Each vector as COPY's binary form of the column: pgvector's (dimensions, 0, big-endian float32s) or the
    float16 bytes Embedding stores in a bytea."""
    if not pgvector:
        return matrix.astype(np.float16)
    encoded = np.zeros(len(matrix), dtype=[("dimensions", ">i2"), ("unused", ">i2"), ("values", ">f4", WIDTH)])
    encoded["dimensions"] = WIDTH
    encoded["values"] = matrix
    return encoded


def _binary_copy(columns: tuple[Sequence[int], Sequence[int], Sequence[int]], kind: VectorKind,
                 embeddings: np.ndarray, positions: np.ndarray) -> io.BytesIO:
    """The rows in COPY's binary format, every tuple of one fixed layout (five fields, each its length then
    its big-endian value), filled column by column."""
    kind_bytes = kind.value.encode()
    width = embeddings.itemsize if embeddings.dtype.names else embeddings[0].nbytes
    layout = np.dtype([("fields", ">i2"),
                       ("id_length", ">i4"), ("id", ">i4"), ("owner_length", ">i4"), ("owner", ">i4"),
                       ("account_length", ">i4"), ("account", ">i4"),
                       ("kind_length", ">i4"), ("kind", f"S{len(kind_bytes)}"),
                       ("embedding_length", ">i4"), ("embedding", f"V{width}")])
    tuples = np.zeros(len(positions), dtype=layout)
    tuples["fields"] = 5
    tuples["id_length"] = tuples["owner_length"] = tuples["account_length"] = 4
    tuples["id"], tuples["owner"], tuples["account"] = columns
    tuples["kind_length"], tuples["kind"] = len(kind_bytes), kind_bytes
    tuples["embedding_length"] = width
    tuples["embedding"] = np.ascontiguousarray(embeddings).view(f"V{width}").reshape(-1)[positions]
    return io.BytesIO(COPY_HEADER + tuples.tobytes() + COPY_TRAILER)


@dataclass(frozen=True)
class Neighbour:
    transaction_id: int
    similarity: float  # cosine, 1.0 for the same text and band
    category: str | None


def nearest(session: Session, scope: Scope, queries: np.ndarray, k: int = 10, *,
            categorised: bool = False, exclude: Sequence[int | None] = ()) -> list[list[Neighbour]]:
    """For each query vector, the ``k`` most similar transactions the scope may read, best first.

    ``categorised`` keeps only rows that have a category; ``exclude`` (one id or None per query) leaves out
    the query's own row.
    """
    exclude = list(exclude) or [None] * len(queries)
    kind = current_kind().value
    if search_path(session) == PGVECTOR:
        return [_nearest_pgvector(session, scope, q, k, categorised, skip, kind) for q, skip in zip(queries, exclude)]
    return _nearest_numpy(session, scope, queries, k, categorised, exclude, kind)


def _criteria(scope: Scope, categorised: bool, kind: str):
    criteria = [scope.rows(TransactionVector), TransactionVector.kind == kind]
    if categorised:
        criteria.append(Transaction.category.is_not(None))
    return criteria


def _nearest_pgvector(session, scope, query, k, categorised, skip, kind) -> list[Neighbour]:
    # The HNSW index is read before the scope's filter: from pgvector 0.8 it keeps scanning until k rows
    # pass it, so a user with few rows among many users' still gets their k nearest.
    if _iterative_scan(session):
        session.execute(text("SET LOCAL hnsw.iterative_scan = strict_order"))
    distance = TransactionVector.embedding.op("<=>", return_type=Float)(
        bindparam("query", query, type_=Vector(WIDTH)))
    statement = (select(TransactionVector.transaction_id, distance, Transaction.category)
                 .join(Transaction, Transaction.id == TransactionVector.transaction_id)
                 .where(*_criteria(scope, categorised, kind))
                 .order_by(distance).limit(k + 1))
    found = session.execute(statement).all()
    return [Neighbour(i, 1.0 - d, c) for i, d, c in found if i != skip][:k]


def _nearest_numpy(session, scope, queries, k, categorised, exclude, kind) -> list[list[Neighbour]]:
    rows = session.execute(
        select(TransactionVector.transaction_id, TransactionVector.embedding, Transaction.category)
        .join(Transaction, Transaction.id == TransactionVector.transaction_id)
        .where(*_criteria(scope, categorised, kind))).all()
    if not rows or not len(queries):
        return [[] for _ in queries]
    ids = np.array([r[0] for r in rows])
    matrix = np.vstack([r[1] for r in rows])
    categories = [r[2] for r in rows]
    similarities = np.asarray(queries, dtype=np.float32) @ matrix.T
    answers = []
    for row, skip in zip(similarities, exclude):
        if skip is not None:
            row[ids == skip] = -np.inf
        take = min(k, len(ids))
        best = np.argpartition(-row, take - 1)[:take]
        best = best[np.argsort(-row[best])]
        answers.append([Neighbour(int(ids[i]), float(row[i]), categories[i]) for i in best if row[i] > -np.inf])
    return answers


def similarity_status(session: Session) -> dict:
    """Which search answers (pgvector or numpy) and which vector kind is in use: for /readyz and the admin page."""
    return {"search": search_path(session), "kind": current_kind().value}
