"""`flask export` and `flask accounts list`: CSV that scripts rely on, the same rows as the web download."""
import csv
import io
from datetime import datetime
from decimal import Decimal

from tests import factories

EXPORT_HEADER = ("account,date,description,amount,currency,status,category,counterparty,external_id,note,nominal_code,"
                 "shared_by")


def _rows(output: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(output)))


def test_export_writes_every_transaction_of_the_user(runner, db, user):
    checking = factories.create_account(db.session, user, name="Checking")
    savings = factories.create_account(db.session, user, name="Savings, joint", currency="EUR")
    factories.add_transactions(db.session, checking, [("2024-01-02", "-12.5", 'Lunch, "the usual"', "Eating out"),
                                                      ("2024-01-01", "1000", "Salary")], counterparty="Contoso")
    factories.add_transactions(db.session, savings, [("2024-01-03", "0.01", "Interest")])
    other = factories.create_user(db.session, "bob@example.com")
    factories.add_transactions(db.session, factories.create_account(db.session, other), [("2024-01-01", "-1", "Bob's")])

    result = runner.invoke(args=["export", "--user", "alice@example.com"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(EXPORT_HEADER)
    rows = _rows(result.output)
    assert [(r["account"], r["date"], r["description"], r["amount"], r["currency"]) for r in rows] == [
        ("Checking", "2024-01-01", "Salary", "1000.00", "GBP"),
        ("Checking", "2024-01-02", 'Lunch, "the usual"', "-12.50", "GBP"),
        ("Savings, joint", "2024-01-03", "Interest", "0.01", "EUR"),
    ]
    assert rows[1]["category"] == "Eating out" and rows[1]["counterparty"] == "Contoso"
    assert rows[1]["status"] == "posted" and rows[1]["external_id"]
    assert rows[0]["category"] == ""


def test_export_one_account_and_unknown_names(runner, db, user):
    checking = factories.create_account(db.session, user, name="Checking")
    savings = factories.create_account(db.session, user, name="Savings")
    factories.add_transactions(db.session, checking, [("2024-01-01", "-1", "A")])
    factories.add_transactions(db.session, savings, [("2024-01-01", "-2", "B")])
    result = runner.invoke(args=["export", "--user", user.email, "--account", "Savings"])
    assert [r["description"] for r in _rows(result.output)] == ["B"]
    result = runner.invoke(args=["export", "--user", user.email, "--account", "Nope"])
    assert result.exit_code != 0 and "no account named 'Nope'" in result.output
    result = runner.invoke(args=["export", "--user", "nobody@example.com"])
    assert result.exit_code != 0 and "no user" in result.output


def test_export_matches_the_account_page_download(runner, auth_client, db, user):
    account = factories.create_account(db.session, user, name="Checking")
    factories.add_transactions(db.session, account, [("2024-01-01", "-1.10", "A"), ("2024-01-02", "2", "B")])
    cli = runner.invoke(args=["export", "--user", user.email, "--account", "Checking"]).output
    web = auth_client.get(f"/accounts/{account.id}/export.csv?sort=date").get_data(as_text=True)
    assert cli == web


def test_accounts_list(runner, db, user):
    checking = factories.create_account(db.session, user, name="Checking", type="checking",
                                        ledger_balance=Decimal("1234.5"), available_balance=Decimal(-20),
                                        balance_as_of=datetime(2024, 3, 1, 9, 30))
    factories.create_account(db.session, user, name="Card", type="credit_card", currency="EUR")
    factories.add_transactions(db.session, checking, [("2024-01-01", "-1", "A"), ("2024-02-01", "-1", "B")])
    result = runner.invoke(args=["accounts", "list", "--user", user.email])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(
        "name,type,currency,ledger_balance,available_balance,balance_as_of,transactions,balance")
    rows = {r["name"]: r for r in _rows(result.output)}
    assert rows["Checking"] | {"balance": None, "pending": None, "opening_balance": None, "closed": None} == {
        "name": "Checking", "type": "checking", "currency": "GBP", "ledger_balance": "1234.50",
        "available_balance": "-20.00", "balance_as_of": "2024-03-01T09:30:00", "transactions": "2",
        "balance": None, "pending": None, "opening_balance": None, "closed": None}
    # Opened at the stated 1234.50, then two payments of 1.00.
    assert (rows["Checking"]["balance"], rows["Checking"]["opening_balance"]) == ("1232.50", "1234.50")
    assert rows["Card"]["ledger_balance"] == "" and rows["Card"]["balance_as_of"] == ""
    assert rows["Card"]["transactions"] == "0"


def test_demo_seed_can_put_every_transaction_in_one_account(runner, db):
    result = runner.invoke(args=["demo", "seed", "--transactions", "300", "--single-account"])
    assert result.exit_code == 0, result.output
    listed = _rows(runner.invoke(args=["accounts", "list", "--user", "demo@example.com"]).output)
    counts = {row["name"]: int(row["transactions"]) for row in listed}
    assert counts.pop("Everyday Checking") == 300
    assert set(counts.values()) == {0}
    exported = _rows(runner.invoke(args=["export", "--user", "demo@example.com"]).output)
    assert len(exported) == 300 and {row["account"] for row in exported} == {"Everyday Checking"}
