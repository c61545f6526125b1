"""Transfers: suggested pairs, linking by hand, out of income and expense, the other side shown."""

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from dashboard.access import Scope
from dashboard.accounts.transfers import TransferError, link_transfer, suggested_transfers, unlink_transfer
from dashboard.audit import Actor
from dashboard.models import MonthlyTotal, Transaction
from dashboard.models.accounts import TRANSFER_CATEGORY
from tests import factories


def _pair(db, user):
    checking = factories.create_account(db.session, user, "Checking")
    savings = factories.create_account(db.session, user, "Savings")
    factories.add_transactions(db.session, checking, [("2025-01-03", "-250", "To savings", "Misc"),
                                                      ("2025-01-20", "-250", "Rent", "Rent")])
    factories.add_transactions(db.session, savings, [("2025-01-05", "250", "From checking")])
    rows = {t.description: t for t in db.session.scalars(select(Transaction))}
    return rows["To savings"], rows["From checking"], rows["Rent"]


def test_opposite_amounts_a_few_days_apart_are_suggested_once(db, user):
    out, into, _rent = _pair(db, user)
    pairs = suggested_transfers(db.session, Scope.of_user(user.id))
    assert [(p.out.id, p.into.id) for p in pairs] == [(out.id, into.id)]


def test_linked_rows_leave_income_and_expense_and_unlinking_brings_them_back(db, user):
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    out, into, rent = _pair(db, user)
    link_transfer(db.session, scope, actor, into.id, out.id)
    assert (out.transfer_id, into.transfer_id) == (into.id, out.id)
    categories = set(db.session.scalars(select(MonthlyTotal.category)))
    assert categories == {TRANSFER_CATEGORY, "Rent"}
    assert suggested_transfers(db.session, scope) == []
    with pytest.raises(TransferError, match="two different accounts"):
        link_transfer(db.session, scope, actor, rent.id, out.id)
    assert unlink_transfer(db.session, scope, actor, out.id)
    assert set(db.session.scalars(select(MonthlyTotal.category))) == {"Misc", "Rent", ""}


def test_rows_of_one_account_or_of_someone_else_are_not_a_transfer(db, user):
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    out, _into, _rent = _pair(db, user)
    bob = factories.create_user(db.session, "bob@example.com")
    theirs = factories.create_account(db.session, bob, "Bob")
    factories.add_transactions(db.session, theirs, [("2025-01-03", "250", "Bob in")])
    bob_row = db.session.scalar(select(Transaction).where(Transaction.account_id == theirs.id))
    with pytest.raises(NotFound):
        link_transfer(db.session, scope, actor, out.id, bob_row.id)
    assert bob_row.id not in {p.into.id for p in suggested_transfers(db.session, scope)}


def test_the_transaction_page_shows_the_other_side(auth_client, db, user):
    out, into, _rent = _pair(db, user)
    auth_client.post("/transfers", data={"out": out.id, "into": into.id})
    page = auth_client.get(f"/transactions/{out.id}").get_data(as_text=True)
    assert "Transfer to" in page and "Savings" in page and "Unlink transfer" in page
    assert db.session.scalar(select(Transaction.transfer_id).where(Transaction.id == out.id)) == into.id
