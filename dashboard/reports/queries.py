"""Income and expenses by month and spending by category, read from the monthly totals.

Every function takes a session, the :class:`~dashboard.access.Scope` whose
rows it may read (a user's own and shared accounts, or, asked for by name on
the admin pages, the organisation's) and plain filter values, and returns
plain values. Sums happen
in SQL over ``monthly_totals``; Python only fills in months without data and
works out running totals and shares. Transfers between a user's own accounts
(category ``TRANSFER_CATEGORY``) are neither income nor expense, and nominal-ledger
accounts (``AccountType.LEDGER``, a Sage import) are bookkeeping, not household
money: they are read by ``reports.bookkeeping`` only. Currencies
are never added together: every result is per currency.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.models import Account, MonthlyTotal, Transaction
from dashboard.models.accounts import TRANSFER_CATEGORY, AccountType
from dashboard.models.base import Money
from dashboard.reports.periods import Period

ZERO = Decimal(0)
HUNDRED = Decimal(100)
SHARE_PLACES = Decimal("0.1")
UNCATEGORISED_LABEL = "Uncategorised"


def report_criteria(model: type[MonthlyTotal | Transaction], scope: Scope,
                    account_id: int | None = None, currency: str | None = None) -> list:
    """WHERE clauses for the rows the scope sees, in one account and one currency, on ``monthly_totals``
    or, for the few reports that need rows or days, on raw ``transactions``: both carry these columns."""
    criteria = [scope.rows(model)]
    if account_id is not None:
        criteria.append(model.account_id == account_id)
    if currency:
        criteria.append(model.currency == currency)
    return criteria


def not_a_transfer():
    return MonthlyTotal.category != TRANSFER_CATEGORY


def ledger_account_ids():
    """The ids of nominal-ledger accounts, for a WHERE ... IN clause."""
    return select(Account.id).where(Account.type == AccountType.LEDGER)


def household(model: type[MonthlyTotal | Transaction] = MonthlyTotal):
    """Rows of accounts that hold money, not of a nominal ledger."""
    return model.account_id.not_in(ledger_account_ids())


@dataclass
class MonthFigures:
    month: date
    income: Decimal
    expenses: Decimal
    net: Decimal
    running_net: Decimal


class MonthlySums:
    """Income, expenses and net over ``self.months`` (anything with ``income`` and ``expenses``)."""

    months: list

    @property
    def income(self) -> Decimal:
        return sum((m.income for m in self.months), ZERO)

    @property
    def expenses(self) -> Decimal:
        return sum((m.expenses for m in self.months), ZERO)

    @property
    def net(self) -> Decimal:
        return self.income - self.expenses


@dataclass
class CurrencyIncomeExpenses(MonthlySums):
    currency: str
    months: list[MonthFigures] = field(default_factory=list)


def income_and_expenses(session: Session, scope: Scope, period: Period,
                        account_id: int | None = None, currency: str | None = None) -> list[CurrencyIncomeExpenses]:
    """Money in and out per month of the period, every month listed (zero when nothing happened)."""
    rows = session.execute(
        select(MonthlyTotal.currency, MonthlyTotal.month,
               func.sum(MonthlyTotal.income), func.sum(MonthlyTotal.expense))
        .where(*report_criteria(MonthlyTotal, scope, account_id, currency), not_a_transfer(),
               household(), MonthlyTotal.month.between(period.first, period.last))
        .group_by(MonthlyTotal.currency, MonthlyTotal.month)
    ).all()
    sums = {(row[0], row[1]): (row[2], row[3]) for row in rows}
    currencies = sorted({row[0] for row in rows} | ({currency} if currency else set()))
    results = []
    for code in currencies:
        report = CurrencyIncomeExpenses(code)
        running = ZERO
        for month in period.months:
            income, expenses = sums.get((code, month), (ZERO, ZERO))
            running += income - expenses
            report.months.append(MonthFigures(month, income, expenses, income - expenses, running))
        results.append(report)
    return results


@dataclass
class CategorySpending:
    category: str  # '' for transactions without a category
    spent: Decimal
    previous: Decimal
    share: Decimal = ZERO  # percent of the currency's spending in the period, one decimal
    by_account: dict[int, Decimal] = field(default_factory=dict)  # money out in the period per account

    @property
    def label(self) -> str:
        return self.category or UNCATEGORISED_LABEL

    @property
    def change(self) -> Decimal:
        return self.spent - self.previous

    @property
    def change_percent(self) -> Decimal | None:
        if not self.previous:
            return None
        return (self.change / self.previous * HUNDRED).quantize(SHARE_PLACES)


@dataclass
class CurrencySpending:
    currency: str
    categories: list[CategorySpending] = field(default_factory=list)

    @property
    def spent(self) -> Decimal:
        return sum((c.spent for c in self.categories), ZERO)

    @property
    def previous(self) -> Decimal:
        return sum((c.previous for c in self.categories), ZERO)


def spending_by_category(session: Session, scope: Scope, period: Period,
                         account_id: int | None = None, currency: str | None = None) -> list[CurrencySpending]:
    """Money out per category in the period and in the period of the same length before it.

    SQL sums per account too, so each category knows which accounts its money left from
    (the page links to exactly those rows); Python adds up the few per-account sums.
    """
    previous = period.previous()
    in_period = MonthlyTotal.month >= period.first
    expense = type_coerce(MonthlyTotal.expense, Money)
    spent = func.sum(case((in_period, expense), else_=type_coerce(0, Money)))
    spent_before = func.sum(case((in_period, type_coerce(0, Money)), else_=expense))
    rows = session.execute(
        select(MonthlyTotal.currency, MonthlyTotal.category, MonthlyTotal.account_id, spent, spent_before)
        .where(*report_criteria(MonthlyTotal, scope, account_id, currency), not_a_transfer(),
               household(), MonthlyTotal.month.between(previous.first, period.last), MonthlyTotal.expense > 0)
        .group_by(MonthlyTotal.currency, MonthlyTotal.category, MonthlyTotal.account_id)
    ).all()
    by_category: dict[tuple[str, str], CategorySpending] = {}
    for code, category, account, now, before in rows:
        item = by_category.setdefault((code, category), CategorySpending(category, ZERO, ZERO))
        item.spent += now or ZERO
        item.previous += before or ZERO
        if now:
            item.by_account[account] = now
    by_currency: dict[str, CurrencySpending] = {}
    for (code, _category), item in sorted(by_category.items()):
        by_currency.setdefault(code, CurrencySpending(code)).categories.append(item)
    for report in by_currency.values():
        total = report.spent
        for item in report.categories:
            item.share = (item.spent / total * HUNDRED).quantize(SHARE_PLACES) if total else ZERO
        report.categories.sort(key=lambda c: (-c.spent, -c.previous, c.category))
    return [by_currency[code] for code in sorted(by_currency)]


def filter_choices(session: Session, scope: Scope) -> tuple[list[tuple[int, str]], list[str]]:
    """The accounts (id, label) and currencies the scope sees, for the filter form, in one query.

    The organisation view filters by currency only, so it lists no accounts.
    """
    if scope.everyone:
        return [], list(session.scalars(
            select(Account.currency).where(scope.accounts()).distinct().order_by(Account.currency)))
    rows = session.execute(
        select(Account.id, Account.name, Account.currency)
        .where(scope.accounts()).order_by(Account.name, Account.id)
    ).all()
    return [(row.id, f"{row.name} ({row.currency})") for row in rows], sorted({row.currency for row in rows})
