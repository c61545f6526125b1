"""Report queries against Decimal sums computed in Python from the same rows, on SQLite and PostgreSQL."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from dashboard.access import Scope
from dashboard.models.accounts import TRANSFER_CATEGORY, TransactionStatus
from dashboard.reports.balances import DAILY, MONTHLY, balances_over_time
from dashboard.reports.periods import Period, month_end
from dashboard.reports.queries import income_and_expenses, spending_by_category
from tests import factories

PERIOD = Period(date(2024, 1, 1), date(2024, 6, 1))  # previous period: Jul-Dec 2023
CATEGORIES = ["Groceries", "Rent", "Eating out", TRANSFER_CATEGORY, None]
# March 2024 has no rows at all; April is a month that loses money.
MONTHS = [date(2023, 9, 1), date(2023, 12, 1), date(2024, 1, 1), date(2024, 2, 1), date(2024, 4, 1),
          date(2024, 5, 1), date(2024, 6, 1), date(2024, 8, 1)]


def _random_rows(rng: random.Random, count: int) -> list[dict]:
    rows = []
    for _ in range(count):
        month = rng.choice(MONTHS)
        day = month + timedelta(days=rng.randint(0, month_end(month).day - 1))
        amount = Decimal(rng.randint(-90_000, 60_000)) / 100
        if month == date(2024, 4, 1):
            amount = -abs(amount) - Decimal("0.01")
        rows.append({"date": day, "amount": amount, "category": rng.choice(CATEGORIES)})
    return rows


@pytest.fixture
def ledger(db, user):
    """Three accounts in two currencies with random rows, and another user's rows that must never show."""
    rng = random.Random(7)
    accounts = {
        "current": factories.create_account(db.session, user, "Current", "GBP", ledger_balance=Decimal("1000.00")),
        "savings": factories.create_account(db.session, user, "Savings", "GBP"),
        "euro": factories.create_account(db.session, user, "Euro", "EUR", ledger_balance=Decimal("-20.50")),
    }
    rows = {}
    for key, account in accounts.items():
        rows[key] = _random_rows(rng, 60)
        factories.add_rows(db.session, account, rows[key])
    # Card holds in the period and after it: every page shows pending rows apart from the balance.
    for key, account in accounts.items():
        holds = [{**row, "status": TransactionStatus.PENDING, "external_id": f"hold-{account.id}-{n}"}
                 for n, row in enumerate(_random_rows(rng, 4))]
        factories.add_rows(db.session, account, holds)
        rows[key] += holds
    stranger = factories.create_user(db.session, "bob@example.com")
    factories.add_rows(db.session, factories.create_account(db.session, stranger, "Bob's", "GBP"),
                       _random_rows(rng, 40))
    return user, accounts, rows


def _in(period: Period, day: date) -> bool:
    return period.start_date <= day <= period.end_date


def _rows_for(accounts, rows, currency=None, key=None):
    for name, account in accounts.items():
        if (currency is None or account.currency == currency) and (key is None or key == name):
            for row in rows[name]:
                yield account, row


def test_income_and_expenses_match_python_sums_month_by_month(ledger, db):
    user, accounts, rows = ledger
    report = income_and_expenses(db.session, Scope.of_user(user.id), PERIOD)
    assert [r.currency for r in report] == ["EUR", "GBP"]
    for currency_report in report:
        expected_income, expected_expenses = defaultdict(Decimal), defaultdict(Decimal)
        for _account, row in _rows_for(accounts, rows, currency_report.currency):
            if row["category"] != TRANSFER_CATEGORY and _in(PERIOD, row["date"]):
                month = row["date"].replace(day=1)
                if row["amount"] > 0:
                    expected_income[month] += row["amount"]
                else:
                    expected_expenses[month] -= row["amount"]
        assert [m.month for m in currency_report.months] == PERIOD.months
        running = Decimal(0)
        for m in currency_report.months:
            running += expected_income[m.month] - expected_expenses[m.month]
            assert (m.income, m.expenses, m.net, m.running_net) == (
                expected_income[m.month], expected_expenses[m.month],
                expected_income[m.month] - expected_expenses[m.month], running)
        march = currency_report.months[2]
        assert (march.income, march.expenses, march.net) == (0, 0, 0)
        assert currency_report.months[3].net < 0
        assert currency_report.net == running


def test_income_and_expenses_filters_by_account_and_currency(ledger, db):
    user, accounts, rows = ledger
    only_savings = income_and_expenses(db.session, Scope.of_user(user.id), PERIOD,
                                       account_id=accounts["savings"].id)
    assert [r.currency for r in only_savings] == ["GBP"]
    expected = sum((row["amount"] for _a, row in _rows_for(accounts, rows, key="savings")
                    if row["category"] != TRANSFER_CATEGORY and _in(PERIOD, row["date"])), Decimal(0))
    assert only_savings[0].net == expected
    only_euro = income_and_expenses(db.session, Scope.of_user(user.id), PERIOD, currency="EUR")
    assert [r.currency for r in only_euro] == ["EUR"]
    nothing = income_and_expenses(db.session, Scope.of_user(user.id), PERIOD, currency="JPY")
    assert [(r.currency, r.income, r.expenses, len(r.months)) for r in nothing] == [("JPY", 0, 0, 6)]


def test_organisation_income_includes_every_user(ledger, db):
    user, accounts, rows = ledger
    own = {r.currency: r.net for r in income_and_expenses(db.session, Scope.of_user(user.id), PERIOD)}
    everyone = {r.currency: r.net for r in income_and_expenses(db.session, Scope.organisation(), PERIOD)}
    assert everyone["EUR"] == own["EUR"]
    assert everyone["GBP"] != own["GBP"]


def test_spending_by_category_matches_python_sums_with_previous_period(ledger, db):
    user, accounts, rows = ledger
    previous = PERIOD.previous()
    assert previous == Period(date(2023, 7, 1), date(2023, 12, 1))
    report = spending_by_category(db.session, Scope.of_user(user.id), PERIOD)
    for currency_report in report:
        spent, before = defaultdict(Decimal), defaultdict(Decimal)
        for _account, row in _rows_for(accounts, rows, currency_report.currency):
            if row["category"] == TRANSFER_CATEGORY or row["amount"] >= 0:
                continue
            if _in(PERIOD, row["date"]):
                spent[row["category"] or ""] -= row["amount"]
            elif _in(previous, row["date"]):
                before[row["category"] or ""] -= row["amount"]
        got = {c.category: (c.spent, c.previous) for c in currency_report.categories}
        assert got == {k: (spent[k], before[k]) for k in spent.keys() | before.keys()}
        assert TRANSFER_CATEGORY not in got
        total = sum(spent.values(), Decimal(0))
        assert currency_report.spent == total
        for c in currency_report.categories:
            assert c.share == (c.spent / total * 100).quantize(Decimal("0.1"))
            assert c.change == spent[c.category] - before[c.category]
        assert [c.spent for c in currency_report.categories] == sorted(spent[c.category] for c in currency_report.categories)[::-1]


def _expected_balance(account, rows, point: date) -> Decimal:
    """Opening balance + the posted rows up to the point, as the account page adds them."""
    return account.opening_balance + sum((r["amount"] for r in rows if r["date"] <= point
                                          and r.get("status", TransactionStatus.POSTED) == TransactionStatus.POSTED),
                                         Decimal(0))


@pytest.mark.parametrize("step", [MONTHLY, DAILY])
def test_balances_are_the_ledger_balance_less_later_movements(ledger, db, step):
    user, accounts, rows = ledger
    report = balances_over_time(db.session, Scope.of_user(user.id), PERIOD, step=step)
    ends = [month_end(p) for p in report.points] if step == MONTHLY else report.points
    assert len(ends) == (6 if step == MONTHLY else 182)
    by_id = {a.id: key for key, a in accounts.items()}
    assert [c.currency for c in report.currencies] == ["EUR", "GBP"]
    for currency in report.currencies:
        for series in currency.accounts:
            key = by_id[series.account_id]
            assert series.derived is (accounts[key].ledger_balance is None)
            assert series.balances == [_expected_balance(accounts[key], rows[key], end) for end in ends]
        for index, end in enumerate(ends):
            assert currency.net_worth[index] == sum(
                (_expected_balance(accounts[k], rows[k], end) for k in accounts
                 if accounts[k].currency == currency.currency), Decimal(0))
    gbp = report.currencies[1]
    assert gbp.changes[0] is None
    assert gbp.changes[1] == gbp.net_worth[1] - gbp.net_worth[0]


def test_daily_balances_refuse_more_than_a_year(ledger, db):
    user, _accounts, _rows = ledger
    with pytest.raises(ValueError, match="at most"):
        balances_over_time(db.session, Scope.of_user(user.id), Period(date(2022, 1, 1), date(2023, 6, 1)),
                           step=DAILY)
