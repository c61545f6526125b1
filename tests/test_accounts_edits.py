"""Changing categories and notes: audited, CSRF-protected, and the monthly totals stay right."""
import re

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from dashboard.access import READ, WRITE, Scope
from dashboard.accounts.edits import edit_transaction
from dashboard.categories.bulk import categorise_rows
from dashboard.audit import Actor
from dashboard.ledger import verify_totals
from dashboard.models import AuditEvent, MonthlyTotal, Transaction
from tests import factories


def _transactions(db, account):
    return db.session.scalars(select(Transaction).where(Transaction.account_id == account.id)
                              .order_by(Transaction.date)).all()


def test_edit_category_and_note(auth_client, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-01", "-9.99", "Netflix", "Shopping")])
    row = _transactions(db, account)[0]
    page = auth_client.get(f"/transactions/{row.id}")
    assert page.status_code == 200 and "Netflix" in page.get_data(as_text=True)
    response = auth_client.post(f"/transactions/{row.id}", data={"category": "Subscriptions", "note": "Family plan"})
    assert response.status_code == 302
    db.session.expire_all()
    row = _transactions(db, account)[0]
    assert (row.category, row.note) == ("Subscriptions", "Family plan")
    assert verify_totals(db.session) == []
    assert db.session.scalar(select(MonthlyTotal.category).where(MonthlyTotal.account_id == account.id)) == \
        "Subscriptions"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "transaction.edit"))
    assert event.actor_id == user.id and event.details["category"] == ["Shopping", "Subscriptions"]
    html = auth_client.get(f"/accounts/{account.id}").get_data(as_text=True)
    assert "Family plan" in html and "Subscriptions" in html


def test_too_long_category_is_refused_and_nothing_changes(auth_client, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-01", "-5", "Coffee", "Eating out")])
    row = _transactions(db, account)[0]
    response = auth_client.post(f"/transactions/{row.id}", data={"category": "x" * 121, "note": ""})
    assert response.status_code == 200
    assert "120 characters" in response.get_data(as_text=True)
    db.session.expire_all()
    assert _transactions(db, account)[0].category == "Eating out"


def test_bulk_category(auth_client, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-01", "-5", "A"), ("2024-02-01", "-6", "B"),
                                                     ("2024-03-01", "7", "C", "Income")])
    a, b, _income = _transactions(db, account)
    response = auth_client.post("/transactions/categorise", data={
        "ids": [str(a.id), str(b.id)], "category": "Groceries", "next": f"/accounts/{account.id}?q=x"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/accounts/{account.id}?q=x")
    db.session.expire_all()
    assert [t.category for t in _transactions(db, account)] == ["Groceries", "Groceries", "Income"]
    assert verify_totals(db.session) == []
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "transaction.categorise"))


def test_bulk_category_with_nothing_selected_changes_nothing(auth_client, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-01", "-5", "A", "Old")])
    response = auth_client.post("/transactions/categorise", data={"category": "New", "next": "https://evil.example/"},
                                follow_redirects=True)
    assert "select at least one transaction" in response.get_data(as_text=True)
    assert response.request.path == "/transactions"
    db.session.expire_all()
    assert _transactions(db, account)[0].category == "Old"


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_edit_without_a_token_is_refused(self, client, db, user):
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        client.post("/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token})
        account = factories.create_account(db.session, user)
        factories.add_transactions(db.session, account, [("2024-01-01", "-5", "A", "Old")])
        row = _transactions(db, account)[0]
        assert client.post(f"/transactions/{row.id}", data={"category": "New"}).status_code == 400
        html = client.get(f"/transactions/{row.id}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        assert client.post(f"/transactions/{row.id}", data={"category": "New", "csrf_token": token}).status_code == 302
        page = client.get(f"/accounts/{account.id}").get_data(as_text=True)
        assert re.search(r'id="bulk-form".*?name="csrf_token"', page, re.DOTALL)


def test_a_sharee_with_write_access_categorises_and_the_event_names_actor_and_owner(db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-01", "-5", "Coffee", "Eating out")])
    row = _transactions(db, account)[0]
    bob = factories.create_user(db.session, "bob@example.com")
    actor = Actor(bob.id, "192.0.2.7")
    for refused in (lambda: categorise_rows(db.session, Scope.of_user(bob.id, {account.id: READ}), actor,
                                            "Treats", ids=[row.id]),
                    lambda: edit_transaction(db.session, Scope.of_user(bob.id, {account.id: READ}), actor, row,
                                             "Treats", None)):
        with pytest.raises(Forbidden):
            refused()
    assert db.session.scalar(select(Transaction.category).where(Transaction.id == row.id)) == "Eating out"
    assert categorise_rows(db.session, Scope.of_user(bob.id, {account.id: WRITE}), actor,
                           "Treats", ids=[row.id]).changed == 1
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "transaction.categorise"))
    assert (event.actor_id, event.owner_id, event.remote_addr) == (bob.id, user.id, "192.0.2.7")
    assert event.details == {"ids": [row.id], "category": "Treats", "before": {"Eating out": [row.id]}}
    assert verify_totals(db.session) == []
