"""What every signed-in request costs before its page's own queries: one statement reads the user, the session
row, the two-factor rule and whether they have enrolled, whether anything is shared with them and their first
money account's currency (the home currency's fallback); a page reads parts only for split rows.

Each request runs in its own app context, as on a server, so the sign-in check is counted: a test that keeps one
app context open for every request would load the user once and hide it.
"""
import re
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from dashboard.access import Scope
from dashboard.accounts.splits import Part, split_transaction
from dashboard.audit import Actor
from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from dashboard.extensions import db
from dashboard.models import Account, AccountShare, Transaction
from tests import factories

# The statements of each page over the demo data, sign-in check included; in brackets, what each ran when the
# sign-in check, the two-factor rule, the shares, the home currency and the split parts were read apart.
PAGE_BUDGETS = {
    "/": 8,  # (11)
    "/accounts/<checking>": 10,  # (13)
    "/transactions": 5,  # (8)
    "/reports/income-and-expenses": 3,  # (6)
    "/reports/categories": 3,  # (6)
    "/reports/profit-and-loss": 5,  # (7)
    "/reports/balances": 5,  # (8)
    "/reports/trial-balance": 3,  # (5)
    "/reports/balance-sheet": 4,  # (6)
}


def _statements_of_request(app, client, path: str) -> tuple[list[str], object]:
    """The statements of one request in its own app context, as on a server (the user is loaded afresh)."""
    db.session.commit()
    seen = []

    def listener(_connection, _cursor, statement, *_args):
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT)", statement):
            seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with app.app_context():
            response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return seen, response


def _reading(statements: list[str], table: str) -> list[str]:
    return [statement for statement in statements if re.search(rf"\b{table}\b", statement)]


def _reading_shares_with(statements: list[str]) -> list[str]:
    """The statements that read what is shared with the user (not the account page's list of its own shares)."""
    return [statement for statement in statements if "account_shares.user_id = " in statement]


def _busy_account(db, user):
    account = factories.create_account(db.session, user, "Everyday")
    factories.add_transactions(db.session, account, [(f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}", f"-{n}.50",
                                                      f"row {n}") for n in range(60)])
    return account


def test_the_sign_in_check_is_one_statement_and_a_page_without_splits_reads_no_parts(app, auth_client, db, user):
    account = _busy_account(db, user)
    statements, response = _statements_of_request(app, auth_client, f"/accounts/{account.id}")
    assert response.status_code == 200 and "row 59" in response.get_data(as_text=True)
    sign_in = _reading(statements, "user_sessions")
    assert len(sign_in) == 1
    for table in ("installation_settings", "totp_credentials"):
        assert _reading(statements, table) == sign_in, table  # read there, and nowhere else
    assert _reading_shares_with(statements) == sign_in
    assert _reading(statements, "transaction_splits") == [statement for statement in statements
                                                          if "EXISTS" in statement and "transaction_splits" in
                                                          statement]  # only the rows' "is it split" flag


def test_shares_and_parts_are_read_when_there_are_some(app, auth_client, db, user):
    account = _busy_account(db, user)
    factories.add_transactions(db.session, account, [("2024-12-31", "-100.00", "Supermarket")])
    row = db.session.scalar(select(Transaction).where(Transaction.description == "Supermarket"))
    split_transaction(db.session, Scope.of_user(user.id), Actor(user.id), row,
                      [Part(Decimal("-70.00"), "Groceries"), Part(Decimal("-30.00"), "Household")])
    owner = factories.create_user(db.session, "bob@example.com")
    joint = factories.create_account(db.session, owner, "Joint with Bob")
    share = AccountShare(account_id=joint.id, owner_id=owner.id, user_id=user.id, can_write=False)
    db.session.add(share)

    statements, response = _statements_of_request(app, auth_client, f"/accounts/{account.id}")
    page = response.get_data(as_text=True)
    assert 'title="Split: each part' in page and "Groceries" in page and "Household" in page
    assert len(_reading(statements, "transaction_splits")) == 2  # the rows' flag, then the split row's parts
    statements, response = _statements_of_request(app, auth_client, "/")
    assert "Joint with Bob" in response.get_data(as_text=True)
    assert len(_reading_shares_with(statements)) == 2  # whether there are any, then which

    db.session.delete(share)
    statements, response = _statements_of_request(app, auth_client, "/")
    assert response.status_code == 200 and "Joint with Bob" not in response.get_data(as_text=True)
    assert _reading_shares_with(statements) == _reading(statements, "user_sessions")


@pytest.mark.parametrize("path", PAGE_BUDGETS)
def test_each_page_keeps_to_its_statements(app, client, db, path):
    seed_demo(db.session, 300)
    checking = db.session.scalar(select(Account.id).where(Account.external_id == "demo-checking"))
    factories.log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    statements, response = _statements_of_request(app, client, path.replace("<checking>", str(checking)))
    assert response.status_code == 200
    assert len(_reading(statements, "user_sessions")) == 1
    assert len(statements) <= PAGE_BUDGETS[path], "\n".join(statements)


def test_the_home_currency_falls_back_to_the_first_money_account_read_at_sign_in(app, auth_client, db, user):
    factories.create_account(db.session, user, "Compte courant", currency="EUR")
    factories.create_account(db.session, user, "Current", currency="GBP")
    statements, response = _statements_of_request(app, auth_client, "/reports/income-and-expenses")
    assert "Show in EUR" in response.get_data(as_text=True)
    assert [statement for statement in statements if "LIMIT" in statement] == _reading(statements, "user_sessions")

    user.preferences = {"home_currency": "GBP"}
    _, response = _statements_of_request(app, auth_client, "/reports/income-and-expenses")
    assert "Show in GBP" in response.get_data(as_text=True)
