"""Transactions by hand: add, edit, delete and undo, through the pages and the services the API will call."""
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from dashboard.access import Scope
from dashboard.accounts.edits import (
    NeedsConfirmation,
    TransactionError,
    add_transaction,
    delete_transaction,
    restore_transaction,
    update_transaction,
)
from dashboard.accounts.queries import account_summary
from dashboard.audit import Actor
from dashboard.balances import mark_reconciled, record_stated_balance
from dashboard.ledger import verify_totals
from dashboard.models import Transaction
from tests import factories


def _add(db, user, account, **values):
    return add_transaction(db.session, Scope.of_user(user.id), Actor(user.id), account,
                           {"date": date(2025, 3, 1), "amount": Decimal("-12.30"), "description": "Market", **values})


def test_add_edit_delete_and_restore_keep_the_balance_and_totals(db, user):
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    account = factories.create_account(db.session, user, opening_balance=Decimal(100))
    row = _add(db, user, account, category="Food", counterparty="Stall", note="eggs")
    assert (row.source, row.category, row.counterparty, row.note) == ("manual", "Food", "Stall", "eggs")
    assert account_summary(db.session, scope, account).balance == Decimal("87.70")
    update_transaction(db.session, scope, actor, row, {"amount": Decimal("-20"), "date": date(2025, 4, 2)})
    assert account_summary(db.session, scope, account).balance == Decimal("80.00")
    event = delete_transaction(db.session, scope, actor, row)
    assert account_summary(db.session, scope, account).balance == Decimal("100.00")
    restored = restore_transaction(db.session, scope, actor, event.id)
    assert (restored.amount, restored.date, restored.note) == (Decimal("-20.00"), date(2025, 4, 2), "eggs")
    assert restore_transaction(db.session, scope, actor, event.id) is None  # back already
    assert verify_totals(db.session) == []


def test_imported_rows_keep_their_amount_and_date(db, user):
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2025-01-02", "-5", "Imported")])
    row = db.session.scalars(select(Transaction)).one()
    with pytest.raises(TransactionError, match="date and amount|amount"):
        update_transaction(db.session, scope, actor, row, {"amount": Decimal("-6")})
    assert update_transaction(db.session, scope, actor, row, {"description": "Renamed", "counterparty": "Shop"})
    assert (row.description, row.counterparty, row.amount) == ("Renamed", "Shop", Decimal("-5.00"))


def test_editing_a_row_in_a_reconciled_period_asks_first(db, user):
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    account = factories.create_account(db.session, user)
    row = _add(db, user, account)
    stated = record_stated_balance(db.session, account, datetime(2025, 3, 31), Decimal("-12.30"), None)
    assert mark_reconciled(db.session, scope, actor, account, stated.id)
    with pytest.raises(NeedsConfirmation):
        update_transaction(db.session, scope, actor, row, {"category": "Food"})
    assert update_transaction(db.session, scope, actor, row, {"category": "Food"}, confirmed=True)


def test_a_closed_account_takes_no_new_rows(db, user):
    account = factories.create_account(db.session, user, closed=True)
    with pytest.raises(TransactionError, match="closed"):
        _add(db, user, account)


def test_the_pages_add_edit_and_delete_with_undo(auth_client, db, user):
    account = factories.create_account(db.session, user, name="Wallet", type="cash")
    assert "Add a transaction" in auth_client.get(f"/accounts/{account.id}/transactions/new").get_data(as_text=True)
    response = auth_client.post(f"/accounts/{account.id}/transactions/new", data={
        "date": "2025-02-03", "description": "Lunch", "direction": "out",
        "amount": "8.50", "category": "Food", "counterparty": "", "note": ""})
    assert response.status_code == 302
    row = db.session.scalars(select(Transaction)).one()
    assert (row.amount, row.source) == (Decimal("-8.50"), "manual")
    page = auth_client.get(f"/transactions/{row.id}/edit").get_data(as_text=True)
    assert 'value="8.50"' in page
    auth_client.post(f"/transactions/{row.id}/edit", data={
        "date": "2025-02-04", "description": "Lunch out", "direction": "in",
        "amount": "9", "category": "Food", "counterparty": "Cafe", "note": ""})
    db.session.expire_all()
    row = db.session.scalars(select(Transaction)).one()
    assert (row.date, row.amount, row.description) == (date(2025, 2, 4), Decimal("9.00"), "Lunch out")
    deleted = auth_client.post(f"/transactions/{row.id}/delete", data={})
    assert db.session.scalars(select(Transaction)).first() is None
    account_page = auth_client.get(deleted.headers["Location"]).get_data(as_text=True)
    assert "The transaction was deleted." in account_page
    event = re.search(r'name="event" value="(\d+)"', account_page).group(1)
    auth_client.post("/transactions/restore", data={"event": event})
    assert db.session.scalars(select(Transaction.description)).all() == ["Lunch out"]
    assert verify_totals(db.session) == []
