"""The dashboard `/`: accounts, balances, totals per currency, latest transactions."""
import re
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dashboard.models import Account, AuditEvent
from tests import factories


def test_empty_state_for_a_user_without_accounts(auth_client):
    page = auth_client.get("/").get_data(as_text=True)
    assert "No accounts yet" in page
    assert 'id="accounts-table"' not in page


def test_accounts_with_balances_and_links(auth_client, db, user):
    checking = factories.create_account(db.session, user, "Main Checking", "GBP", ledger_balance=Decimal("1234.56"),
                                        available_balance=Decimal("1000.00"), balance_as_of=datetime(2025, 3, 1, 9, 30))
    euro = factories.create_account(db.session, user, "Euro Account", "EUR", ledger_balance=Decimal("-20.5"))
    page = auth_client.get("/").get_data(as_text=True)
    assert f'href="/accounts/{checking.id}">Main Checking</a>' in page
    assert f'href="/accounts/{euro.id}">Euro Account</a>' in page
    assert "£1,234.56" in page and "£1,000.00" in page
    assert "-€20.50" in page
    assert "01 Mar 2025 09:30" in page


def test_totals_per_currency_are_never_added_together(auth_client, db, user):
    factories.create_account(db.session, user, "A", "GBP", ledger_balance=Decimal("100.10"))
    factories.create_account(db.session, user, "B", "GBP", ledger_balance=Decimal("0.20"))
    factories.create_account(db.session, user, "C", "JPY", ledger_balance=Decimal("2700"))
    page = auth_client.get("/").get_data(as_text=True)
    assert re.search(r"Total in GBP · 2 accounts.*?£100\.30", page, re.S)
    assert re.search(r"Total in JPY · 1 account\b.*?¥2,700", page, re.S)


def test_latest_transactions_are_shown_newest_first(auth_client, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [
        ("2025-01-05", "-3.20", "Coffee"), ("2025-02-01", "2500", "Salary"), ("2024-12-24", "-50", "Gift")])
    page = auth_client.get("/").get_data(as_text=True)
    assert page.index("Salary") < page.index("Coffee") < page.index("Gift")
    assert "-£3.20" in page


def test_another_users_accounts_are_not_shown(auth_client, db):
    other = factories.create_user(db.session, "mallory@example.com")
    factories.create_account(db.session, other, "Mallory Secret", ledger_balance=Decimal("999"))
    page = auth_client.get("/").get_data(as_text=True)
    assert "Mallory Secret" not in page
    assert "No accounts yet" in page


def test_the_dashboard_query_count_does_not_grow_with_rows(auth_client, db, user, statements_of):
    def statements_for_dashboard():
        count, response = statements_of(lambda: auth_client.get("/"))
        assert response.status_code == 200
        return count

    for n in range(3):
        account = factories.create_account(db.session, user, f"Account {n}")
        factories.add_transactions(db.session, account, [("2025-01-01", "-1", f"row {i}") for i in range(5)])
    few = statements_for_dashboard()
    for n in range(3, 9):
        account = factories.create_account(db.session, user, f"Account {n}")
        factories.add_transactions(db.session, account, [("2025-01-01", "-1", f"row {i}") for i in range(20)])
    assert statements_for_dashboard() == few


def test_a_new_user_adds_an_account_and_lands_on_its_import_page(auth_client, db, user):
    assert 'href="/accounts/new"' in auth_client.get("/").get_data(as_text=True)
    response = auth_client.post("/accounts/new", data={
        "name": "Joint Current", "type": "checking", "currency": "eur", "institution": "Monzo", "last_four": "1234"})
    account = db.session.scalar(select(Account))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/accounts/{account.id}/import"
    assert (account.owner_id, account.name, account.currency, account.last_four) == (user.id, "Joint Current", "EUR", "1234")
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "account.create"
    page = auth_client.get("/").get_data(as_text=True)
    assert "Joint Current" in page and "No accounts yet" not in page


@pytest.mark.parametrize("fields, message", [
    ({"name": "", "currency": "GBP"}, "This field is required"),
    ({"name": "X", "currency": "POUNDS"}, "ISO 4217"),
    ({"name": "X", "currency": "GBP", "last_four": "12a4"}, "Four digits"),
    ({"name": "X", "currency": "GBP", "type": "boat"}, "Not a valid choice"),
])
def test_a_bad_new_account_is_refused_with_a_message(auth_client, db, fields, message):
    response = auth_client.post("/accounts/new", data={"type": "checking", **fields})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_adding_an_account_needs_the_csrf_token(auth_client, db, app_config):
    response = auth_client.post("/accounts/new", data={"name": "X", "type": "checking", "currency": "GBP"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0
