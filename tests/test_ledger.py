"""The write path keeps monthly totals in step with the transactions."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from dashboard.access import Scope
from dashboard.ledger import delete_transactions, update_transactions, verify_totals
from dashboard.models import MonthlyTotal, Transaction
from dashboard.search import search_text
from tests import factories


def _totals(db):
    return {(t.month, t.category): (t.income, t.expense, t.transactions)
            for t in db.session.scalars(select(MonthlyTotal))}


def test_inserts_add_to_the_month_and_category(db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [
        ("2025-01-03", "100.10", "pay", "Salary"), ("2025-01-20", "-5.05", "coffee", "Food"),
        ("2025-01-21", "-4.95", "tea", "Food"), ("2025-02-01", "-1", "gum", "Food")])
    assert _totals(db) == {
        (date(2025, 1, 1), "Salary"): (Decimal("100.10"), Decimal(0), 1),
        (date(2025, 1, 1), "Food"): (Decimal(0), Decimal("10.00"), 2),
        (date(2025, 2, 1), "Food"): (Decimal(0), Decimal("1.00"), 1),
    }
    assert verify_totals(db.session) == []


def test_the_same_external_id_is_inserted_once(db, user):
    account = factories.create_account(db.session, user)
    rows = [("2025-01-03", "-2", "x")]
    assert factories.add_transactions(db.session, account, rows) == 1
    assert factories.add_transactions(db.session, account, rows) == 0
    assert _totals(db)[(date(2025, 1, 1), "")] == (Decimal(0), Decimal(2), 1)


def test_deletes_and_recategorising_keep_totals_right(db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [
        ("2025-03-03", "-20", "shop", "Food"), ("2025-03-04", "-30", "more", "Food")])
    first, second = db.session.scalars(select(Transaction.id).order_by(Transaction.id)).all()
    update_transactions(db.session, Scope.of_user(user.id), [first], category="Household")
    delete_transactions(db.session, Scope.of_user(user.id), [second])
    db.session.commit()
    assert _totals(db) == {(date(2025, 3, 1), "Household"): (Decimal(0), Decimal(20), 1)}
    assert verify_totals(db.session) == []


def test_recategorising_another_users_transaction_changes_nothing(db, user):
    other = factories.create_user(db.session, "mallory@example.com")
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2025-03-03", "-20", "shop", "Food")])
    every_id = db.session.scalars(select(Transaction.id)).all()
    assert update_transactions(db.session, Scope.of_user(other.id), every_id, category="Stolen") == 0
    assert delete_transactions(db.session, Scope.of_user(other.id), every_id) == 0
    assert db.session.scalar(select(Transaction.category)) == "Food"


def test_verify_finds_drift(db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2025-03-03", "-20", "shop", "Food")])
    db.session.execute(update(MonthlyTotal).values(expense=Decimal(19)))
    problems = verify_totals(db.session)
    assert len(problems) == 1 and "Food" in problems[0]


def test_totals_verify_command(runner, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2025-03-03", "-20", "shop")])
    assert runner.invoke(args=["totals", "verify"]).exit_code == 0
    db.session.execute(update(MonthlyTotal).values(transactions=5))
    db.session.commit()
    result = runner.invoke(args=["totals", "verify"])
    assert result.exit_code != 0 and "differ" in result.output
    assert runner.invoke(args=["totals", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["totals", "verify"]).exit_code == 0


def test_search_text_folds_case_and_unicode():
    assert search_text("CAFÉ Nero", None) == "cafe nero"
    assert search_text("Straße", "ＡＢＣ") == "strasse abc"


def test_a_linked_transfer_counts_under_the_transfers_category_until_unlinked(db, user):
    from dashboard.models.accounts import TRANSFER_CATEGORY

    checking = factories.create_account(db.session, user, "Checking")
    savings = factories.create_account(db.session, user, "Savings")
    factories.add_transactions(db.session, checking, [("2025-01-03", "-200", "to savings", "Savings plan")])
    factories.add_transactions(db.session, savings, [("2025-01-04", "200", "from checking")])
    out, into = db.session.scalars(select(Transaction).order_by(Transaction.amount)).all()
    scope = Scope.of_user(user.id)
    update_transactions(db.session, scope, [out.id], transfer_id=into.id)
    update_transactions(db.session, scope, [into.id], transfer_id=out.id)
    assert {category for _, category in _totals(db)} == {TRANSFER_CATEGORY}
    assert verify_totals(db.session) == []
    delete_transactions(db.session, scope, [into.id])  # the other side is unlinked, through the totals
    db.session.expire_all()
    assert db.session.get(Transaction, out.id).transfer_id is None
    assert set(_totals(db)) == {(date(2025, 1, 1), "Savings plan")}
    assert verify_totals(db.session) == []
