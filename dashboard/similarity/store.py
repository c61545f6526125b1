"""Storing transaction vectors and finding a scope's nearest neighbours: pgvector where the column is a
``vector`` (PostgreSQL with the extension), numpy over the scope's vectors everywhere else.

Both paths answer the same question the same way (cosine similarity, only rows
the :class:`~dashboard.access.Scope` may read), so callers never ask which is in use;
:func:`search_path` says, for ``/readyz`` and the admin overview.
"""
from __future__ import annotations

import hashlib
import io
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from pgvector.sqlalchemy import Vector
from sqlalchemy import BigInteger, Float, bindparam, delete, event, exists, func, select, text, true, type_coerce
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.models import Account, SimilarityVector, Transaction, TransactionVector
from dashboard.models.base import MONEY_SCALE
from dashboard.models.similarity import PGVECTOR_DIALECTS
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
            found = session.connection().execute(text(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = to_regclass('similarity_vectors') AND attname = 'embedding'")).scalar()
        _paths[engine] = PGVECTOR if found and found.startswith("vector") else NUMPY
        if _paths[engine] == PGVECTOR:
            PGVECTOR_DIALECTS.add(engine.dialect)
    return _paths[engine]


@event.listens_for(Session, "before_flush")
def _vectors_written_through_the_session(session: Session, _context, _instances) -> None:
    """A vector added through the ORM binds what its engine's column takes, as the store's own writes do."""
    if any(isinstance(instance, SimilarityVector) for instance in (*session.new, *session.dirty)):
        search_path(session)


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
    """Give these owners' transactions (with ids above ``after_id``) that have no vector one, in batches;
    returns how many."""
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
    """The rows matching ``criteria``, whose description, counterparty or amount just changed, point at their
    new key's vector now: only those rows are read, however long the owner's history after them."""
    released = _forget(session, criteria)
    rows = session.connection().execute(_vector_inputs(*criteria)).all()
    if rows:
        _store(session, current_kind(), rows)
    _drop_unused(session, released)


def forget_vectors(session: Session, criteria) -> None:
    """Before the rows matching ``criteria`` are deleted: they leave their vectors, and a vector no row uses
    any more goes (the HNSW index keeps only vectors some row has)."""
    _drop_unused(session, _forget(session, criteria))


def _forget(session: Session, criteria) -> set[int]:
    """The matching rows no longer point at a vector; returns the vectors they pointed at."""
    return set(session.execute(
        delete(TransactionVector).where(TransactionVector.transaction_id.in_(select(Transaction.id).where(*criteria)))
        .returning(TransactionVector.vector_id).execution_options(synchronize_session=False)).scalars())


def _drop_unused(session: Session, vector_ids: Iterable[int]) -> None:
    vector_ids = sorted(vector_ids)
    for start in range(0, len(vector_ids), BATCH):
        session.execute(delete(SimilarityVector).where(
            SimilarityVector.id.in_(vector_ids[start:start + BATCH]),
            ~exists().where(TransactionVector.vector_id == SimilarityVector.id)
        ).execution_options(synchronize_session=False))


def _vector_inputs(*criteria):
    """What a vector is computed from, in the order ``_store`` reads it (amounts as Money's stored units)."""
    return select(Transaction.id, Transaction.owner_id, Transaction.description, Transaction.counterparty,
                  type_coerce(Transaction.amount, BigInteger).label("amount_units")
                  ).where(*criteria)


def rebuild(session: Session, kind: VectorKind | None = None) -> tuple[int, int]:
    """Every transaction's vector computed afresh (after a change of kind, or to repair); returns how many rows
    have one and how many distinct vectors they share."""
    session.execute(delete(TransactionVector))
    session.execute(delete(SimilarityVector))
    owners = session.scalars(select(Transaction.owner_id).distinct()).all()
    rows = index_missing(session, owners, kind)
    return rows, session.scalar(select(func.count()).select_from(SimilarityVector))


def vector_digests(matrix: np.ndarray) -> list[int]:
    """Each vector's name among its owner's: the first 8 bytes of BLAKE2b over its float16 bytes (what the bytes
    column stores), as a signed 64-bit integer."""
    halves = np.ascontiguousarray(matrix, dtype=np.float16)
    return [int.from_bytes(hashlib.blake2b(row.tobytes(), digest_size=8).digest(), "big", signed=True)
            for row in halves]


def _store(session: Session, kind: VectorKind, rows) -> None:
    """Each distinct (text, amount band) is computed once; each owner's vector of it is found or stored once;
    every row then gets a small row pointing at it (one executemany on SQLite, one binary COPY on PostgreSQL)."""
    ids, owner_ids, descriptions, counterparties, amounts = zip(*rows)  # _vector_inputs' columns
    keys = vector_keys(list(zip(descriptions, counterparties, amounts)), per_unit=MONEY_UNITS)
    position = {key: number for number, key in enumerate(dict.fromkeys(keys))}
    matrix = vectors_for_keys(kind, list(position))
    row_keys = [(owner_id, position[key]) for owner_id, key in zip(owner_ids, keys)]
    vector_of = _vector_ids(session, kind, list(dict.fromkeys(row_keys)), matrix)
    vector_ids = [vector_of[row_key] for row_key in row_keys]
    if session.get_bind().dialect.name != "postgresql":
        session.connection().exec_driver_sql(
            "INSERT INTO transaction_vectors (transaction_id, owner_id, vector_id) VALUES (?, ?, ?)",
            list(zip(ids, owner_ids, vector_ids)))
        return
    with session.connection().connection.cursor() as cursor:
        cursor.copy_expert("COPY transaction_vectors (transaction_id, owner_id, vector_id) FROM STDIN (FORMAT binary)",
                           _binary_copy((ids, owner_ids, vector_ids)))


def _vector_ids(session: Session, kind: VectorKind, wanted: Sequence[tuple[int, int]],
                matrix: np.ndarray) -> dict[tuple[int, int], int]:
    """The id of each ``(owner, row of matrix)``'s stored vector, storing those the owner has not got yet.

    Two writers adding the same owner's new vector at once do not clash: the second's insert waits for the
    first's commit and then finds its row."""
    search_path(session)  # the column binds what its engine's type takes
    digests = vector_digests(matrix)
    found: dict[tuple[int, int], int] = {}

    def look_up(pairs):
        for owner_id, digest, vector_id in session.execute(select(
                SimilarityVector.owner_id, SimilarityVector.digest, SimilarityVector.id).where(
                SimilarityVector.kind == kind.value,
                SimilarityVector.owner_id.in_(sorted({owner_id for owner_id, _ in pairs})),
                SimilarityVector.digest.in_(sorted({digests[number] for _, number in pairs})))):
            found[owner_id, digest] = vector_id

    look_up(wanted)
    missing = [(owner_id, number) for owner_id, number in wanted if (owner_id, digests[number]) not in found]
    if missing:
        insert = (postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)
        session.execute(insert(SimilarityVector).on_conflict_do_nothing(index_elements=["owner_id", "kind", "digest"]),
                        [{"owner_id": owner_id, "kind": kind.value, "digest": digests[number],
                          "embedding": matrix[number]} for owner_id, number in missing])
        look_up(missing)
    return {(owner_id, number): found[owner_id, digests[number]] for owner_id, number in wanted}


COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, no flags, no header extension
COPY_TRAILER = b"\xff\xff"


def _binary_copy(columns: Sequence[Sequence[int]]) -> io.BytesIO:
    """Rows of integer columns in COPY's binary format: each tuple its field count, then each field's length
    and big-endian value, filled column by column by numpy."""
    layout = np.dtype([("fields", ">i2")] + [field for number in range(len(columns))
                                             for field in ((f"length{number}", ">i4"), (f"value{number}", ">i4"))])
    tuples = np.zeros(len(columns[0]), dtype=layout)
    tuples["fields"] = len(columns)
    for number, column in enumerate(columns):
        tuples[f"length{number}"] = 4
        tuples[f"value{number}"] = column
    return io.BytesIO(COPY_HEADER + tuples.tobytes() + COPY_TRAILER)


@dataclass(frozen=True)
class Neighbour:
    transaction_id: int
    similarity: float  # cosine, 1.0 for the same text and band
    category: str | None


def nearest(session: Session, scope: Scope, queries: np.ndarray, k: int = 10, *,
            categorised: bool = False, exclude: Sequence[int | None] = ()) -> list[list[Neighbour]]:
    """For each query vector, the ``k`` most similar transactions the scope may read, best first; of rows with
    the same vector, the newest first.

    ``categorised`` keeps only rows that have a category; ``exclude`` (one id or None per query) leaves out
    the query's own row.
    """
    exclude = list(exclude) or [None] * len(queries)
    kind = current_kind().value
    if search_path(session) == PGVECTOR:
        return [_nearest_pgvector(session, scope, q, k, categorised, skip, kind) for q, skip in zip(queries, exclude)]
    return _nearest_numpy(session, scope, queries, k, categorised, exclude, kind)


def _counted_rows(columns: Sequence, scope: Scope, categorised: bool, skip: int | None = None):
    """``columns`` of the rows pointing at a vector that count: those the scope may read (only categorised
    ones, without ``skip``)."""
    statement = (select(*columns).select_from(TransactionVector)
                 .join(Transaction, Transaction.id == TransactionVector.transaction_id)
                 .where(scope.rows(Transaction)))
    if categorised:
        statement = statement.where(Transaction.category.is_not(None))
    if skip is not None:
        statement = statement.where(TransactionVector.transaction_id != skip)
    return statement


def _nearest_pgvector(session, scope, query, k, categorised, skip, kind) -> list[Neighbour]:
    """The ``k`` nearest vectors that some counted row points at (so ``k`` vectors hold at least ``k`` rows), then
    up to ``k`` rows of each, newest first."""
    # The HNSW index is read before the filters: from pgvector 0.8 it keeps scanning until k vectors pass
    # them, so a user with few vectors among many users' still gets their k nearest.
    if _iterative_scan(session):
        session.execute(text("SET LOCAL hnsw.iterative_scan = strict_order"))
    distance = SimilarityVector.embedding.op("<=>", return_type=Float)(
        bindparam("query", query, type_=Vector(WIDTH)))
    counted = _counted_rows([TransactionVector.transaction_id], scope, categorised, skip)
    vectors = (select(SimilarityVector.id, distance.label("distance"))
               .where(SimilarityVector.kind == kind,
                      SimilarityVector.owner_id.in_(select(Account.owner_id).where(scope.accounts())),
                      counted.where(TransactionVector.vector_id == SimilarityVector.id).exists())
               .order_by(distance).limit(k).subquery())
    members = (_counted_rows([TransactionVector.transaction_id, Transaction.category], scope, categorised, skip)
               .where(TransactionVector.vector_id == vectors.c.id)
               .order_by(TransactionVector.transaction_id.desc()).limit(k).lateral())
    found = session.execute(select(vectors.c.distance, members.c.transaction_id, members.c.category)
                            .select_from(vectors).join(members, true())
                            .order_by(vectors.c.distance, members.c.transaction_id.desc())).all()
    return [Neighbour(i, 1.0 - d, c) for d, i, c in found][:k]


def _nearest_numpy(session, scope, queries, k, categorised, exclude, kind) -> list[list[Neighbour]]:
    members: dict[int, list[tuple[int, str | None]]] = defaultdict(list)  # vector id -> its rows, newest first
    for vector_id, transaction_id, category in session.execute(
            _counted_rows([TransactionVector.vector_id, TransactionVector.transaction_id, Transaction.category],
                          scope, categorised).order_by(TransactionVector.transaction_id.desc())):
        members[vector_id].append((transaction_id, category))
    vectors = session.execute(select(SimilarityVector.id, SimilarityVector.embedding).where(
        SimilarityVector.kind == kind,
        SimilarityVector.id.in_(_counted_rows([TransactionVector.vector_id], scope, categorised)))).all()
    if not vectors or not len(queries):
        return [[] for _ in queries]
    ids = [vector_id for vector_id, _ in vectors]
    similarities = np.asarray(queries, dtype=np.float32) @ np.vstack([e for _, e in vectors]).T
    take = min(k + 1, len(ids))  # k + 1: the excluded row may be the only one of its vector
    answers = []
    for row, skip in zip(similarities, exclude):
        best = np.argpartition(-row, take - 1)[:take]
        found: list[Neighbour] = []
        for i in best[np.argsort(-row[best], kind="stable")]:
            found.extend(Neighbour(transaction_id, float(row[i]), category)
                         for transaction_id, category in members[ids[i]][:k + 1] if transaction_id != skip)
            if len(found) >= k:
                break
        answers.append(found[:k])
    return answers


def similarity_status(session: Session) -> dict:
    """Which search answers (pgvector or numpy) and which vector kind is in use: for /readyz and the admin page."""
    return {"search": search_path(session), "kind": current_kind().value}
