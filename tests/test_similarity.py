"""Transaction vectors, the scoped nearest-neighbour search and category suggestions, on both engines."""
from __future__ import annotations

from decimal import Decimal

import numpy as np
from sqlalchemy import delete, func, select

from dashboard.access import READ, Scope, shares_of
from dashboard.accounts.services import delete_account
from dashboard.audit import Actor
from dashboard.ledger import delete_transactions, update_transactions
from dashboard.models import SimilarityVector, Transaction, TransactionVector, User
from dashboard.similarity.store import NUMPY, current_kind, index_missing, search_path
from dashboard.similarity.suggestions import similar_transactions, suggest_for_rows, suggestions, vote
from dashboard.similarity.vectors import vectors_for
from tests import factories

HISTORY = [
    ("2024-01-03", "-12.99", "AMZN Mktp UK*2K4AB1", "Shopping"),
    ("2024-01-09", "-8.50", "Amazon.co.uk*RT5XY2", "Shopping"),
    ("2024-01-15", "-23.10", "AMZN Mktp UK*9Q1ZZ8", "Shopping"),
    ("2024-01-04", "-41.20", "TESCO STORES 2231", "Groceries"),
    ("2024-01-11", "-37.65", "TESCO STORES 4410", "Groceries"),
    ("2024-01-18", "-52.02", "TESCO STORES 2231", "Groceries"),
    ("2024-01-05", "-3.20", "PRET A MANGER LONDON", "Eating out"),
    ("2024-01-12", "-4.10", "PRET A MANGER KINGS X", "Eating out"),
]


def _history(db, user, name="Checking"):
    account = factories.create_account(db.session, user, name)
    factories.add_transactions(db.session, account, HISTORY)
    db.session.commit()
    return account


def stored_vectors(session, account_id):
    """Each of the account's rows (oldest first) as ``(its stored vector, description, amount)``."""
    return session.execute(select(SimilarityVector.embedding, Transaction.description, Transaction.amount)
                           .join(TransactionVector, TransactionVector.vector_id == SimilarityVector.id)
                           .join(Transaction, Transaction.id == TransactionVector.transaction_id)
                           .where(Transaction.account_id == account_id)
                           .order_by(Transaction.id)).all()


def _count(session, model, *criteria):
    return session.scalar(select(func.count()).select_from(model).where(*criteria))


def test_vectors_are_stored_with_the_rows_on_commit(db, user):
    account = _history(db, user)
    assert len(stored_vectors(db.session, account.id)) == len(HISTORY)
    assert index_missing(db.session, [user.id]) == 0  # nothing left without a vector


def test_stored_vectors_are_the_computed_ones(db, user):
    account = _history(db, user)
    stored = stored_vectors(db.session, account.id)
    computed = vectors_for(current_kind(), [(description, None, amount) for _, description, amount in stored])
    assert np.array_equal(np.vstack([vector for vector, _, _ in stored]),
                          computed.astype(np.float16).astype(np.float32))


def test_vectors_go_with_their_account_and_their_user(db, user):
    """The vector table has no keys to users or accounts of its own: the transaction's cascade removes them."""
    kept, doomed = _history(db, user), _history(db, user, "Savings")
    delete_account(db.session, Scope.of_user(user.id), Actor.system(), doomed)
    db.session.commit()
    assert db.session.execute(select(Transaction.account_id, func.count()).join(
        TransactionVector, TransactionVector.transaction_id == Transaction.id).group_by(Transaction.account_id)
    ).all() == [(kept.id, len(HISTORY))]
    db.session.execute(delete(User).where(User.id == user.id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(TransactionVector)) == 0


def test_a_merchants_repeated_lines_share_one_vector(db, user):
    """Three Tesco lines (other store numbers, one amount band) have one key; the other five rows five keys."""
    account = _history(db, user)
    assert _count(db.session, TransactionVector, TransactionVector.owner_id == user.id) == len(HISTORY)
    assert _count(db.session, SimilarityVector, SimilarityVector.owner_id == user.id) == 6
    factories.add_transactions(db.session, factories.create_account(db.session, user, "Savings"), HISTORY)
    db.session.commit()
    assert _count(db.session, SimilarityVector, SimilarityVector.owner_id == user.id) == 6  # nothing new to learn
    other = factories.create_user(db.session, "bob@example.com")
    _history(db, other, "Bob's")
    assert _count(db.session, SimilarityVector, SimilarityVector.owner_id == other.id) == 6  # each owner's own


def test_a_vector_no_row_uses_goes_with_its_last_row(db, user):
    """An edited description moves its row to another key's vector; deleting a key's last row removes it."""
    account = _history(db, user)
    scope = Scope.of_user(user.id)
    pret = db.session.scalars(select(Transaction.id).where(Transaction.description.like("PRET%"))).all()
    tesco = db.session.scalars(select(Transaction.id).where(Transaction.description.like("TESCO%"))).all()
    update_transactions(db.session, scope, [pret[0]], description="TESCO STORES 1234", amount=Decimal("-40.00"))
    db.session.commit()
    assert _count(db.session, SimilarityVector) == 5  # "pret a manger london" is nobody's any more
    vector_of = dict(db.session.execute(select(TransactionVector.transaction_id, TransactionVector.vector_id)).all())
    assert vector_of[pret[0]] == vector_of[tesco[0]]
    delete_transactions(db.session, scope, [*tesco, pret[0]])
    db.session.commit()
    assert _count(db.session, SimilarityVector) == 4 and _count(db.session, TransactionVector) == len(HISTORY) - 4
    assert [row[1] for row in stored_vectors(db.session, account.id)] == [
        description for _, _, description, _ in HISTORY if not description.startswith(("TESCO", "PRET A MANGER L"))]


def test_rows_of_an_account_shared_with_the_user_are_neighbours_and_no_other_of_its_owner(db, user):
    """The owner's vector of a key is shared by their rows in every account: only the shared account's count."""
    owner = factories.create_user(db.session, "olivia@example.com")
    shared = factories.create_account(db.session, owner, "Joint")
    private = factories.create_account(db.session, owner, "Private")
    factories.add_transactions(db.session, shared, [("2024-01-04", "-41.20", "TESCO STORES 2231", "Groceries")])
    factories.add_transactions(db.session, private, [("2024-01-05", "-40.10", "TESCO STORES 2231", "Secret"),
                                                     ("2024-01-06", "-42.10", "TESCO STORES 7231", "Secret"),
                                                     ("2024-01-07", "-9.99", "AMZN Mktp UK*2K4AB1", "Secret")])
    db.session.commit()
    scope = Scope.of_user(user.id, shared={shared.id: READ})
    tesco, amazon = suggest_for_rows(db.session, scope, [("TESCO STORES 9981", None, Decimal("-44.00")),
                                                         ("AMZN Mktp UK*2K4AB1", None, Decimal("-9.99"))])
    assert tesco[0] == "Groceries" and amazon is None
    found = similar_to_rows(db.session, scope, "TESCO STORES")
    assert [(row.account_id, row.category) for row in found] == [(shared.id, "Groceries")]


def similar_to_rows(session, scope, words):
    from dashboard.similarity.suggestions import similar_to
    return [row for row, _ in similar_to(session, scope, words)]


def test_python_path_on_sqlite_and_plain_postgresql(db):
    assert search_path(db.session) == NUMPY


def test_suggestion_for_a_new_description_of_a_known_merchant(db, user):
    _history(db, user)
    scope = shares_of(db.session, user.id)
    amazon, tesco, unknown = suggest_for_rows(db.session, scope, [
        ("AMZN Mktp UK*7HH3K2", None, Decimal("-15.00")),
        ("TESCO STORES 9981", None, Decimal("-44.00")),
        ("ACME WIDGETS LTD", None, Decimal("-950.00")),
    ])
    assert amazon[0] == "Shopping" and tesco[0] == "Groceries"
    assert unknown is None  # a merchant never seen: below the threshold, no suggestion


def test_suggestions_list_uncategorised_rows_only(db, user):
    account = _history(db, user)
    factories.add_transactions(db.session, account, [("2024-02-01", "-9.99", "Amazon.co.uk*ZZ9ABC")])
    db.session.commit()
    found = suggestions(db.session, shares_of(db.session, user.id))
    assert [(s.description, s.category) for s in found] == [("Amazon.co.uk*ZZ9ABC", "Shopping")]
    assert 0 < found[0].score <= 1


def test_another_users_rows_are_never_neighbours(db, user):
    other = factories.create_user(db.session, "mallory@example.com")
    _history(db, other, "Mallory's")
    mine = factories.create_account(db.session, user, "Mine")
    factories.add_transactions(db.session, mine, [("2024-02-01", "-9.99", "AMZN Mktp UK*2K4AB1")])
    db.session.commit()
    scope = shares_of(db.session, user.id)
    assert suggest_for_rows(db.session, scope, [("AMZN Mktp UK*2K4AB1", None, Decimal("-9.99"))]) == [None]
    row = db.session.scalar(select(Transaction).where(Transaction.account_id == mine.id))
    assert similar_transactions(db.session, scope, row) == []


def test_similar_transactions_are_the_same_merchant_first(db, user):
    account = _history(db, user)
    row = db.session.scalar(select(Transaction).where(Transaction.account_id == account.id,
                                                      Transaction.description == "TESCO STORES 4410"))
    similar = similar_transactions(db.session, Scope.of_user(user.id), row, k=3)
    assert [t.description for t, _ in similar[:2]] == ["TESCO STORES 2231", "TESCO STORES 2231"]
    assert row.id not in [t.id for t, _ in similar]


def test_vote_weighs_by_similarity():
    assert vote([(0.9, "A"), (0.3, "B"), (0.3, "B")])[0] == "A"
    assert vote([(0.5, None)]) is None


def test_cli_suggest_prints_csv_and_applies(db, user, runner):
    account = _history(db, user)
    factories.add_transactions(db.session, account, [("2024-02-01", "-9.99", "Amazon.co.uk*ZZ9ABC"),
                                                     ("2024-02-02", "-999", "ACME WIDGETS LTD")])
    db.session.commit()
    result = runner.invoke(args=["categories", "suggest", "--user", user.email])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "transaction_id,description,category,score"
    assert [line.split(",")[1:3] for line in lines[1:]] == [["Amazon.co.uk*ZZ9ABC", "Shopping"]]
    applied = runner.invoke(args=["categories", "suggest", "--user", user.email, "--apply"])
    assert applied.exit_code == 0, applied.output
    categories = dict(db.session.execute(select(Transaction.description, Transaction.category)
                                         .where(Transaction.account_id == account.id)).all())
    assert categories["Amazon.co.uk*ZZ9ABC"] == "Shopping" and categories["ACME WIDGETS LTD"] is None


def test_cli_suggest_unknown_user_is_one_line(runner, db):
    result = runner.invoke(args=["categories", "suggest", "--user", "nobody@example.com"])
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1


def test_cli_rebuild_recomputes_every_vector(db, user, runner):
    _history(db, user)
    result = runner.invoke(args=["similarity", "rebuild"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"rebuilt the vectors of {len(HISTORY)} transactions: 6 distinct")


def test_editing_a_description_renews_its_vector(db, user):
    account = _history(db, user)
    row = db.session.scalar(select(Transaction).where(Transaction.account_id == account.id,
                                                      Transaction.description == "PRET A MANGER LONDON"))
    update_transactions(db.session, Scope.of_user(user.id), [row.id], description="TESCO STORES 7777")
    db.session.commit()
    tesco = db.session.scalar(select(Transaction).where(Transaction.description == "TESCO STORES 4410"))
    similar = similar_transactions(db.session, Scope.of_user(user.id), tesco, k=3)
    assert row.id in [t.id for t, _ in similar]  # its stored vector is the new description's


def test_editing_an_amount_or_a_note_keeps_the_vector_its_inputs_give(db, user):
    """The amount's band is part of the vector, the note is not: each stored vector is the computed one."""
    account = _history(db, user)
    rows = db.session.scalars(select(Transaction).where(Transaction.account_id == account.id)
                              .order_by(Transaction.id)).all()
    update_transactions(db.session, Scope.of_user(user.id), [rows[0].id], amount=Decimal("-1299.00"))
    update_transactions(db.session, Scope.of_user(user.id), [rows[1].id], note="birthday present")
    db.session.commit()
    stored = stored_vectors(db.session, account.id)
    computed = vectors_for(current_kind(), [(description, None, amount) for _, description, amount in stored])
    assert len(stored) == len(HISTORY)
    assert np.array_equal(np.vstack([vector for vector, _, _ in stored]),
                          computed.astype(np.float16).astype(np.float32))


def test_readyz_and_the_admin_overview_say_which_search_path(client, admin):
    assert client.get("/readyz").get_json()["details"]["similarity"] == {"search": "numpy", "kind": "hashing"}
    factories.log_in(client, admin.email)
    html = client.get("/admin/").get_data(as_text=True)
    assert "Similarity search" in html and "Python (numpy)" in html and "HNSW" not in html


def test_review_page_lists_uncategorised_rows_and_accepts_one(db, user, auth_client):
    account = _history(db, user)
    factories.add_transactions(db.session, account, [("2024-02-01", "-9.99", "Amazon.co.uk*ZZ9ABC"),
                                                     ("2024-02-02", "-999", "ACME WIDGETS LTD")])
    db.session.commit()
    page = auth_client.get("/suggestions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Amazon.co.uk*ZZ9ABC" in html and "ACME WIDGETS LTD" in html and "no suggestion" in html
    row = db.session.scalar(select(Transaction).where(Transaction.description == "Amazon.co.uk*ZZ9ABC"))
    response = auth_client.post("/suggestions/accept", data={"ids": [row.id]})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Transaction, row.id).category == "Shopping"


def test_accepting_another_users_row_is_404(db, user, auth_client):
    other = factories.create_user(db.session, "mallory@example.com")
    theirs = _history(db, other, "Mallory's")
    factories.add_transactions(db.session, theirs, [("2024-02-01", "-9.99", "Amazon.co.uk*ZZ9ABC")])
    db.session.commit()
    row = db.session.scalar(select(Transaction).where(Transaction.description == "Amazon.co.uk*ZZ9ABC"))
    assert auth_client.post("/suggestions/accept", data={"ids": [row.id]}).status_code == 404
    assert auth_client.get(f"/similar?transaction={row.id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Transaction, row.id).category is None


def test_transaction_page_shows_suggestion_and_similar_rows(db, user, auth_client):
    account = _history(db, user)
    factories.add_transactions(db.session, account, [("2024-02-01", "-9.99", "Amazon.co.uk*ZZ9ABC")])
    db.session.commit()
    row = db.session.scalar(select(Transaction).where(Transaction.description == "Amazon.co.uk*ZZ9ABC"))
    html = auth_client.get(f"/transactions/{row.id}").get_data(as_text=True)
    assert "Suggested category: <strong>Shopping</strong>" in html
    assert "AMZN Mktp UK*2K4AB1" in html and f"/similar?transaction={row.id}" in html
    similar = auth_client.get(f"/similar?transaction={row.id}").get_data(as_text=True)
    assert "Amazon.co.uk*RT5XY2" in similar


def test_similar_to_words_typed(db, user, auth_client):
    _history(db, user)
    html = auth_client.get("/similar?q=tesco+store").get_data(as_text=True)
    assert html.index("TESCO STORES") < html.index("PRET A MANGER")


IMPORT_CSV = (b"Date,Description,Amount\n"
              b"2024-03-01,AMZN Mktp UK*7HH3K2,-15.00\n"
              b"2024-03-02,TESCO STORES 9981,-44.00\n"
              b"2024-03-03,ACME WIDGETS LTD,-950.00\n")


def _preview(auth_client, account):
    from tests.test_accounts_import import upload
    page = upload(auth_client, account, IMPORT_CSV, "bank.csv")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_import_preview_suggests_and_accepting_one_stores_only_it(db, user, auth_client):
    from tests.test_accounts_import import confirm_from
    account = _history(db, user)
    html = _preview(auth_client, account)
    assert "suggested: Shopping" in html and "suggested: Groceries" in html
    assert confirm_from(auth_client, account, html, accept_description="AMZN Mktp UK*7HH3K2").status_code == 302
    stored = dict(db.session.execute(select(Transaction.description, Transaction.category)
                                     .where(Transaction.date >= "2024-03-01")).all())
    assert stored == {"AMZN Mktp UK*7HH3K2": "Shopping", "TESCO STORES 9981": None, "ACME WIDGETS LTD": None}


def test_import_preview_accept_all(db, user, auth_client):
    from tests.test_accounts_import import confirm_from
    account = _history(db, user)
    html = _preview(auth_client, account)
    assert confirm_from(auth_client, account, html, accept_all="1").status_code == 302
    stored = dict(db.session.execute(select(Transaction.description, Transaction.category)
                                     .where(Transaction.date >= "2024-03-01")).all())
    assert stored == {"AMZN Mktp UK*7HH3K2": "Shopping", "TESCO STORES 9981": "Groceries", "ACME WIDGETS LTD": None}


def test_the_demo_history_has_vectors_so_a_new_users_imports_get_suggestions(db):
    """`make run` seeds the demo in bulk: its rows are indexed at the commit like any other write."""
    from dashboard.demo import DEMO_EMAIL, seed_demo
    from dashboard.models import User

    seed_demo(db.session, 300)
    db.session.commit()
    demo = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    rows = db.session.scalar(select(func.count()).select_from(Transaction).where(Transaction.owner_id == demo.id))
    vectors = db.session.scalar(select(func.count()).select_from(TransactionVector)
                                .where(TransactionVector.owner_id == demo.id))
    assert vectors == rows > 0
    known = db.session.execute(select(Transaction.description, Transaction.amount, Transaction.category).where(
        Transaction.owner_id == demo.id, Transaction.category.is_not(None)).order_by(Transaction.id).limit(1)).one()
    suggestion, = suggest_for_rows(db.session, shares_of(db.session, demo.id),
                                   [(known.description.upper(), None, known.amount)])
    assert suggestion is not None and suggestion[0] == known.category


def test_undoing_an_import_takes_the_vectors_only_its_rows_had(db, user):
    from dashboard.importers.undo import undo_batch
    from tests.test_importers_batches import load, parsed

    account = _history(db, user)
    batch = load(db, user, account, parsed(("2024-03-01", "-44.00", "TESCO STORES 9981"),
                                           ("2024-03-02", "-950.00", "ACME WIDGETS LTD")))
    assert _count(db.session, SimilarityVector) == 7  # Tesco's vector was there already; Acme's is new
    undo_batch(db.session, Scope.of_user(user.id), Actor.system(), batch)
    db.session.commit()
    assert _count(db.session, SimilarityVector) == 6 and _count(db.session, TransactionVector) == len(HISTORY)
    assert suggest_for_rows(db.session, Scope.of_user(user.id), [("TESCO STORES 9981", None, Decimal("-44.00"))]
                            )[0][0] == "Groceries"


def test_suggestions_from_the_stored_vectors_score_as_the_benchmark_does(db, user):
    """bench/similarity.py measures quality on vectors in memory, one per row; the app's come from one stored
    vector per key, its rows newest first. On the benchmark's held-out bank rows both give the same figures."""
    import pytest

    from bench.similarity import HELD_OUT_SEED, evaluate, fixture_rows
    from dashboard.similarity.suggestions import THRESHOLD

    rows = fixture_rows(HELD_OUT_SEED)
    account = factories.create_account(db.session, user, "Bank")
    factories.add_transactions(db.session, account, [("2024-01-01", str(row.amount), row.description, row.category)
                                                     for row in rows if row.history])
    db.session.commit()
    known = {row.merchant for row in rows if row.history}
    new = [row for row in rows if not row.history and row.merchant in known]
    votes = suggest_for_rows(db.session, Scope.of_user(user.id), [(row.description, None, row.amount) for row in new])
    right = [vote[0] == row.category for row, vote in zip(new, votes) if vote is not None]
    measured = evaluate(current_kind(), rows)["by_threshold"][THRESHOLD]
    assert len(right) / len(new) == pytest.approx(measured["coverage"], abs=0.01)
    assert sum(right) / len(right) == pytest.approx(measured["accuracy"], abs=0.01) and measured["accuracy"] >= 0.9
