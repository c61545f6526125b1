"""The ownership seam, unit by unit: every query of the accounts area and every ``*_or_404`` helper, given a Scope.

``tests/test_isolation.py`` proves the same through every route; these tests
call the functions the pages, the CLI and the API share, without a request.
"""
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden, NotFound

from dashboard.access import (
    READ,
    WRITE,
    Scope,
    account_or_404,
    batch_or_404,
    transaction_ids_or_404,
    transaction_or_404,
)
from dashboard.accounts.export import export_rows
from dashboard.accounts.queries import account_summaries, latest_transactions, transaction_count
from dashboard.accounts.transaction_queries import (
    TransactionFilter,
    account_names,
    categories_in_use,
    filtered_transactions,
    transaction_page,
)
from dashboard.models import ImportBatch, Transaction
from dashboard.paging import Position
from tests import factories

OUT_OF_RANGE = (0, -1, 2 ** 63, 2 ** 70)


@pytest.fixture
def alice(db, user):
    """Alice's account with an import batch and two categorised rows; ids in a dict."""
    account = factories.create_account(db.session, user, name="Alice current")
    batch = ImportBatch(owner_id=user.id, account_id=account.id, filename="alice.csv", format="csv",
                        content_hash="a" * 64, rows_read=2, rows_inserted=2)
    db.session.add(batch)
    db.session.commit()
    factories.add_transactions(db.session, account, [("2024-01-02", "-4.50", "Alice coffee", "Eating out"),
                                                     ("2024-01-03", "1200", "Alice salary", "Income")],
                               batch_id=batch.id)
    ids = list(db.session.scalars(select(Transaction.id).where(Transaction.account_id == account.id)
                                  .order_by(Transaction.id)))
    return {"user": user.id, "account": account.id, "batch": batch.id, "transactions": ids}


@pytest.fixture
def bob(db):
    """Bob, with an account of his own, so "sees nothing of Alice's" is not "sees nothing at all"."""
    bob = factories.create_user(db.session, "bob@example.com")
    account = factories.create_account(db.session, bob, name="Bob current")
    factories.add_transactions(db.session, account, [("2024-02-01", "-9", "Bob lunch", "Lunch")])
    return bob


def _descriptions(session, rows_select) -> set[str]:
    return set(session.scalars(rows_select.with_only_columns(Transaction.description)))


# Each query of the accounts area, reduced to what of Alice's it shows: a set that is empty when it shows nothing.
QUERIES = {
    "account_summaries": lambda s, scope, a: {x.account.id for x in account_summaries(s, scope)} & {a["account"]},
    "transaction_count": lambda s, scope, a: {transaction_count(s, scope, a["account"])} - {0},
    "latest_transactions": lambda s, scope, a: {t.id for t in latest_transactions(s, scope)} & set(a["transactions"]),
    "filtered_transactions": lambda s, scope, a: _descriptions(s, filtered_transactions(scope, TransactionFilter()))
    & {"Alice coffee", "Alice salary"},
    "filtered_transactions of her account": lambda s, scope, a: _descriptions(
        s, filtered_transactions(scope, TransactionFilter(account_id=a["account"]))),
    "transaction_page": lambda s, scope, a: {t.id for t in transaction_page(
        s, scope, TransactionFilter(account_id=a["account"]), Position(), ledger_balance=Decimal(0)).rows},
    "export_rows": lambda s, scope, a: {row[0] for row in export_rows(s, scope, TransactionFilter())}
    & {"Alice current"},
    "categories_in_use": lambda s, scope, a: set(categories_in_use(s, scope)) & {"Eating out", "Income"},
    "categories_in_use of her account": lambda s, scope, a: set(categories_in_use(s, scope, a["account"])),
    "account_names": lambda s, scope, a: {account_id for account_id, _ in account_names(s, scope)} & {a["account"]},
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_another_users_scope_sees_nothing_of_the_owners(db, alice, bob, query):
    assert query(db.session, Scope.of_user(alice["user"]), alice), "the owner's own scope must see her rows"
    assert query(db.session, Scope.of_user(bob.id), alice) == set()


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_a_read_only_share_shows_the_shared_account_and_the_organisation_everyones(db, alice, bob, query):
    assert query(db.session, Scope.of_user(bob.id, shared={alice["account"]: READ}), alice)
    assert query(db.session, Scope.organisation(), alice)


def test_a_shared_accounts_rows_appear_in_the_sharees_filtered_transactions(db, user, alice, bob):
    other = factories.create_account(db.session, user, name="Alice savings")
    factories.add_transactions(db.session, other, [("2024-01-05", "100", "Alice savings deposit")])
    shared = Scope.of_user(bob.id, shared={alice["account"]: READ})
    seen = _descriptions(db.session, filtered_transactions(shared, TransactionFilter()))
    assert seen == {"Bob lunch", "Alice coffee", "Alice salary"}  # not her unshared savings


def _helpers(alice):
    """Each *_or_404 helper asked for one of Alice's rows (or her only id list) with ``need``."""
    return {
        "account_or_404": lambda s, scope, need: account_or_404(s, scope, alice["account"], need=need),
        "transaction_or_404": lambda s, scope, need: transaction_or_404(s, scope, alice["transactions"][0], need=need),
        "batch_or_404": lambda s, scope, need: batch_or_404(s, scope, alice["batch"], need=need),
        "transaction_ids_or_404": lambda s, scope, need: transaction_ids_or_404(s, scope, alice["transactions"],
                                                                                need=need),
    }


@pytest.mark.parametrize("helper", ["account_or_404", "transaction_or_404", "batch_or_404", "transaction_ids_or_404"])
def test_helpers_hide_another_users_rows_and_refuse_writes_on_a_read_only_share(db, alice, bob, helper):
    fetch = _helpers(alice)[helper]
    for need in (READ, WRITE):
        with pytest.raises(NotFound):
            fetch(db.session, Scope.of_user(bob.id), need)
    read_only = Scope.of_user(bob.id, shared={alice["account"]: READ})
    with pytest.raises(Forbidden):
        fetch(db.session, read_only, WRITE)
    assert fetch(db.session, read_only, READ)
    assert fetch(db.session, Scope.of_user(bob.id, shared={alice["account"]: WRITE}), WRITE)
    assert fetch(db.session, Scope.of_user(alice["user"]), WRITE)


@pytest.mark.parametrize("row_id", OUT_OF_RANGE)
def test_helpers_answer_404_for_ids_no_row_can_have(db, alice, row_id):
    owner = Scope.of_user(alice["user"])
    for fetch in (account_or_404, transaction_or_404, batch_or_404):
        with pytest.raises(NotFound):
            fetch(db.session, owner, row_id)
    with pytest.raises(NotFound):
        transaction_ids_or_404(db.session, owner, [alice["transactions"][0], row_id])


def test_one_foreign_id_among_the_owners_refuses_them_all(db, alice, bob):
    bobs = db.session.scalar(select(Transaction.id).where(Transaction.owner_id == bob.id))
    with pytest.raises(NotFound):
        transaction_ids_or_404(db.session, Scope.of_user(alice["user"]), [*alice["transactions"], bobs])
    assert transaction_ids_or_404(db.session, Scope.of_user(alice["user"]), alice["transactions"][::-1] * 2) == \
        alice["transactions"]


def test_a_batch_of_another_account_is_404_even_for_its_owner(db, user, alice):
    elsewhere = factories.create_account(db.session, user, name="Other")
    with pytest.raises(NotFound):
        batch_or_404(db.session, Scope.of_user(alice["user"]), alice["batch"], account=elsewhere)


def test_the_organisation_reads_everyones_rows_and_may_write_none(db, alice, bob):
    everyone = Scope.organisation()
    assert {s.account.name for s in account_summaries(db.session, everyone)} == {"Alice current", "Bob current"}
    assert transaction_count(db.session, everyone) == 3
    writable = db.session.scalar(select(func.count()).select_from(Transaction).where(everyone.rows(Transaction, WRITE)))
    assert writable == 0
    with pytest.raises(Forbidden):
        account_or_404(db.session, everyone, alice["account"], need=WRITE)
    with pytest.raises(PermissionError):
        everyone.owner_id
