"""Balances over time per account and net worth per currency.

A past balance is the account's computed balance (opening balance + its
posted rows, as on every page) less every movement after that point (and
the opening balance before its date, as net worth leaves it out): the
monthly totals count every row, so the pending rows up to each point (few,
read by a partial index) are taken off again, as the pages show them apart. Nominal ledgers (Sage imports) hold postings to nominal
codes, not money, so they have no balance here, as on the dashboard. Movements are summed in SQL: suffix sums by window
function over the monthly totals (monthly view) or over the period's raw
transactions grouped by day (daily view, at most a year).
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.models import Account, MonthlyTotal, Transaction
from dashboard.models.accounts import AccountType, TransactionStatus
from dashboard.models.base import Money
from dashboard.reports.periods import Period, month_end
from dashboard.reports.queries import report_criteria

ZERO = Decimal(0)
MONTHLY, DAILY = "month", "day"
MAX_DAILY_DAYS = 366


@dataclass
class AccountBalances:
    account_id: int
    name: str
    currency: str
    balances: list[Decimal]
    derived: bool  # no balance stated by a file or the bank: the opening balance was entered or is zero


@dataclass
class CurrencyBalances:
    currency: str
    accounts: list[AccountBalances] = field(default_factory=list)

    @property
    def net_worth(self) -> list[Decimal]:
        return [sum(column, ZERO) for column in zip(*(a.balances for a in self.accounts))]

    @property
    def changes(self) -> list[Decimal | None]:
        """Cash flow: the change in net worth since the point before (none for the first)."""
        worth = self.net_worth
        return [None] + [b - a for a, b in zip(worth, worth[1:])]


@dataclass
class BalanceReport:
    step: str  # MONTHLY or DAILY
    points: list[date]  # the end of each month, or each day
    currencies: list[CurrencyBalances]

    @property
    def monthly(self) -> bool:
        return self.step == MONTHLY


def _net():
    """Money in less money out over grouped monthly totals, as Decimal."""
    return type_coerce(func.sum(MonthlyTotal.income) - func.sum(MonthlyTotal.expense), Money)


def _accounts(session: Session, scope: Scope, account_id: int | None, currency: str | None):
    query = (select(Account.id, Account.name, Account.currency, Account.ledger_balance, Account.opening_balance,
                    Account.opening_date)
             .where(scope.accounts(), Account.type != AccountType.LEDGER).order_by(Account.name, Account.id))
    if account_id is not None:
        query = query.where(Account.id == account_id)
    if currency:
        query = query.where(Account.currency == currency)
    return session.execute(query).all()


def balances_over_time(session: Session, scope: Scope, period: Period, account_id: int | None = None,
                       currency: str | None = None, step: str = MONTHLY) -> BalanceReport:
    if step == DAILY:
        points = [period.start_date + timedelta(days=n) for n in range((period.end_date - period.start_date).days + 1)]
        if len(points) > MAX_DAILY_DAYS:
            raise ValueError(f"Daily balances cover at most {MAX_DAILY_DAYS} days; choose a shorter period or monthly.")
        later = _later_movements_daily(session, scope, period, account_id, currency)
    else:
        points = period.months
        later = _later_movements_monthly(session, scope, account_id, currency)
    ends = [month_end(point) for point in points] if step == MONTHLY else points
    pending = _pending_through(session, scope, account_id, currency)
    # Every row's sum: in the monthly view, the movements after any day before the first month.
    all_time = later if step == MONTHLY else _all_time(session, scope, account_id, currency)
    by_currency: dict[str, CurrencyBalances] = {}
    for account in _accounts(session, scope, account_id, currency):
        rows = all_time(account.id, date.min)
        balances = [_opened(account, end) + rows - later(account.id, point) - pending(account.id, end)
                    for point, end in zip(points, ends)]
        by_currency.setdefault(account.currency, CurrencyBalances(account.currency)).accounts.append(
            AccountBalances(account.id, account.name, account.currency, balances, account.ledger_balance is None))
    return BalanceReport(step, points, [by_currency[c] for c in sorted(by_currency)])


def _suffix_lookup(rows) -> Callable[[int, date], Decimal]:
    """From (account, point, movements from that point on) rows, a function giving the movements
    strictly after any point: the suffix sum starting at the next point that has data."""
    by_account: dict[int, list[tuple[date, Decimal]]] = {}
    for account_id, point, from_here in rows:
        by_account.setdefault(account_id, []).append((point, from_here))
    for series in by_account.values():
        series.sort()
    points = {account_id: [when for when, _ in series] for account_id, series in by_account.items()}

    def later(account_id: int, point: date) -> Decimal:
        index = bisect_right(points.get(account_id, ()), point)
        series = by_account.get(account_id, ())
        return series[index][1] if index < len(series) else ZERO

    return later


def _all_time(session: Session, scope: Scope, account_id, currency) -> Callable[[int, date], Decimal]:
    """The sum of each account's rows, from the monthly totals, looked up as ``later`` is."""
    totals = dict(session.execute(
        select(MonthlyTotal.account_id, _net())
        .where(*report_criteria(MonthlyTotal, scope, account_id, currency)).group_by(MonthlyTotal.account_id)
    ).all())
    return lambda account, _day: totals.get(account) or ZERO


def _opened(account, day: date) -> Decimal:
    """The opening balance from its date on (before it the account held nothing), as net worth counts it."""
    return account.opening_balance if account.opening_date is None or account.opening_date <= day else ZERO


def _pending_through(session: Session, scope: Scope, account_id, currency) -> Callable[[int, date], Decimal]:
    """A function giving the sum of an account's pending rows dated up to and including a day."""
    rows = session.execute(
        select(Transaction.account_id, Transaction.date, type_coerce(func.sum(Transaction.amount), Money))
        .where(*report_criteria(Transaction, scope, account_id, currency),
               Transaction.status == TransactionStatus.PENDING)
        .group_by(Transaction.account_id, Transaction.date).order_by(Transaction.account_id, Transaction.date)
    ).all()
    days: dict[int, list[date]] = {}
    through: dict[int, list[Decimal]] = {}
    for owner_account, day, total in rows:
        running = through.setdefault(owner_account, [])
        days.setdefault(owner_account, []).append(day)
        running.append((running[-1] if running else ZERO) + total)

    def pending(account: int, day: date) -> Decimal:
        index = bisect_right(days.get(account, ()), day)
        return through[account][index - 1] if index else ZERO

    return pending


def _later_movements_monthly(session: Session, scope: Scope, account_id, currency):
    from_month = type_coerce(
        func.sum(_net()).over(partition_by=MonthlyTotal.account_id, order_by=MonthlyTotal.month.desc()), Money)
    rows = session.execute(
        select(MonthlyTotal.account_id, MonthlyTotal.month, from_month)
        .where(*report_criteria(MonthlyTotal, scope, account_id, currency))
        .group_by(MonthlyTotal.account_id, MonthlyTotal.month)
    ).all()
    return _suffix_lookup(rows)


def _later_movements_daily(session: Session, scope: Scope, period: Period, account_id, currency):
    """Movements after a day of the period: that day's later days (raw rows) plus every month after the period."""
    after_period = dict(session.execute(
        select(MonthlyTotal.account_id, _net())
        .where(*report_criteria(MonthlyTotal, scope, account_id, currency), MonthlyTotal.month > period.last)
        .group_by(MonthlyTotal.account_id)
    ).all())
    criteria = [*report_criteria(Transaction, scope, account_id, currency),
                Transaction.date.between(period.start_date, period.end_date)]
    from_day = type_coerce(func.sum(func.sum(Transaction.amount)).over(
        partition_by=Transaction.account_id, order_by=Transaction.date.desc()), Money)
    rows = session.execute(
        select(Transaction.account_id, Transaction.date, from_day).where(*criteria)
        .group_by(Transaction.account_id, Transaction.date)
    ).all()
    within = _suffix_lookup(rows)

    def later(account_id: int, day: date) -> Decimal:
        return within(account_id, day) + (after_period.get(account_id) or ZERO)

    return later
