"""Reconciliation: every stated balance against opening balance + rows, on the page and from the CLI."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from dashboard.access import Scope
from dashboard.accounts.queries import account_summary
from dashboard.audit import Actor
from dashboard.balances import record_stated_balance
from dashboard.importers import undo
from dashboard.models import Account, ImportBatch
from tests import factories
from tests.test_importers_batches import load, parsed


def _reconcile(runner, *options):
    return runner.invoke(args=["reconcile", "--user", "alice@example.com", *options])


def test_an_ofx_import_agrees_with_its_stated_balance(runner, db, user, bank_exports):
    result = runner.invoke(args=["import", str(bank_exports / "ofx2-xml" / "stmtrs.ofx"), "--user", user.email,
                                 "--account", "Everyday"])
    assert result.exit_code == 0, result.output
    account = db.session.scalar(select(Account).where(Account.name == "Everyday"))
    summary = account_summary(db.session, Scope.of_user(user.id), account)
    assert summary.agrees and summary.balance == account.ledger_balance
    report = _reconcile(runner, "--account", "everyday")
    assert report.exit_code == 0, report.output
    lines = report.output.splitlines()
    assert lines[0] == "account,date,stated,computed,difference"
    assert lines[1].split(",")[4] == "0.00"


def test_a_difference_names_the_period_and_exits_1(runner, db, user):
    account = factories.create_account(db.session, user, "Everyday")
    factories.add_transactions(db.session, account, [("2025-01-10", "-10", "a"), ("2025-02-10", "-10", "b")])
    record_stated_balance(db.session, account, datetime(2025, 1, 31), Decimal("-10"), None)
    record_stated_balance(db.session, account, datetime(2025, 2, 28), Decimal("-25"), None)
    db.session.commit()
    result = _reconcile(runner)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1:] == ["Everyday,2025-01-31,-10.00,-10.00,0.00",
                                              "Everyday,2025-02-28,-25.00,-20.00,-5.00"]
    assert "arises after 2025-01-31 up to 2025-02-28" in result.stderr


def test_undo_restores_the_stated_balance_and_opening_it_replaced(db, user):
    account = factories.create_account(db.session, user, "Everyday")
    first = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee"), ledger_balance=Decimal("96.50"),
                                           balance_as_of=datetime(2025, 1, 31)))
    assert (account.opening_balance, account.ledger_balance) == (Decimal("100.00"), Decimal("96.50"))
    second = load(db, user, account, parsed(("2025-02-05", "-6.50", "Lunch"), ledger_balance=Decimal("90.00"),
                                            balance_as_of=datetime(2025, 2, 28)), data=b"other")
    assert account.ledger_balance == Decimal("90.00")
    undo.undo_batch(db.session, Scope.of_user(user.id), Actor(user.id), second)
    assert (account.ledger_balance, account.balance_as_of) == (Decimal("96.50"), datetime(2025, 1, 31))
    undo.undo_batch(db.session, Scope.of_user(user.id), Actor(user.id), first)
    assert (account.ledger_balance, account.opening_balance) == (None, Decimal(0))
    assert db.session.scalar(select(ImportBatch.undone_at).where(ImportBatch.id == first.id)) is not None


def test_the_page_shows_each_check_and_marks_a_period_reconciled(auth_client, db, user):
    account = factories.create_account(db.session, user, "Everyday")
    factories.add_transactions(db.session, account, [("2025-01-10", "-10", "a")])
    stated = record_stated_balance(db.session, account, datetime(2025, 1, 31), Decimal("-10"), None)
    db.session.commit()
    page = auth_client.get(f"/accounts/{account.id}/reconcile").get_data(as_text=True)
    assert "Every stated balance agrees" in page and "Mark reconciled" in page
    auth_client.post(f"/accounts/{account.id}/reconcile", data={"stated": stated.id})
    db.session.expire_all()
    page = auth_client.get(f"/accounts/{account.id}/reconcile").get_data(as_text=True)
    assert "Mark reconciled" not in page
