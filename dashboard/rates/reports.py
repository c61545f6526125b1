"""Income and expenses converted into one currency: at each transaction's date, or at the month's average rate.

Each currency's part is converted and rounded on its own, so a converted figure
is exactly the sum of its parts converted (what the tests check). In the daily
mode a part is one currency's money in (or out) on one day; in the monthly mode
it is one currency's month from the monthly totals. A part without a rate is
kept apart, unconverted, with the reason, and the month says it is incomplete.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.models import Money, Transaction
from dashboard.models.accounts import TRANSFER_CATEGORY
from dashboard.reports.periods import Period
from dashboard.reports.queries import household, income_and_expenses, report_criteria
from dashboard.rates.conversion import MissingRate, UsedRate, load_rate_book
from dashboard.rates.preferences import IncomeConversion

ZERO = Decimal(0)


@dataclass
class Unconverted:
    currency: str
    income: Decimal
    expenses: Decimal
    reason: MissingRate


@dataclass
class ConvertedMonth:
    month: date
    income: Decimal = ZERO
    expenses: Decimal = ZERO
    rates: dict[str, UsedRate] = field(default_factory=dict)  # the rate of each currency (the last one used)
    unconverted: list[Unconverted] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return self.income - self.expenses


@dataclass
class ConvertedIncomeExpenses:
    currency: str
    conversion: IncomeConversion
    months: list[ConvertedMonth]

    @property
    def income(self) -> Decimal:
        return sum((m.income for m in self.months), ZERO)

    @property
    def expenses(self) -> Decimal:
        return sum((m.expenses for m in self.months), ZERO)

    @property
    def net(self) -> Decimal:
        return self.income - self.expenses

    @property
    def complete(self) -> bool:
        return not any(m.unconverted for m in self.months)


def converted_income_and_expenses(session: Session, scope: Scope, period: Period, currency: str,
                                  conversion: IncomeConversion, max_age_days: int, today: date,
                                  account_id: int | None = None) -> ConvertedIncomeExpenses:
    """Income and expenses of every month of the period in ``currency``, as the user's setting says; rates of
    days after ``today`` are not looked for (a future row converts at today's rate or is flagged)."""
    months = {month: ConvertedMonth(month) for month in period.months}
    parts = (_daily_parts if conversion == IncomeConversion.DAILY else _monthly_parts)(
        session, scope, period, account_id)
    last_day = min(period.end_date, today)
    book = load_rate_book(session, scope.user_id, {*{p[0] for p in parts}, currency}, period.start_date,
                          last_day, max_age_days)
    for held, day, income, expenses in parts:
        month = months[day.replace(day=1)]
        try:
            used = (book.rate(held, currency, day) if conversion == IncomeConversion.DAILY
                    else book.month_average(held, currency, day, last_day))
        except MissingRate as missing:
            month.unconverted.append(Unconverted(held, income, expenses, missing))
            continue
        month.income += used.convert(income)
        month.expenses += used.convert(expenses)
        month.rates[held] = used
    return ConvertedIncomeExpenses(currency, conversion, list(months.values()))


def _daily_parts(session: Session, scope: Scope, period: Period, account_id: int | None) -> list[tuple]:
    """(currency, day, money in, money out) per currency and day, summed in SQL over the transactions the
    monthly totals count (transfers and nominal ledgers left out, as the per-currency report does)."""
    money_in = type_coerce(func.sum(case((Transaction.amount > 0, Transaction.amount), else_=0)), Money)
    money_out = type_coerce(func.sum(case((Transaction.amount < 0, -Transaction.amount), else_=0)), Money)
    rows = session.execute(
        select(Transaction.currency, Transaction.date, money_in, money_out)
        .where(*report_criteria(Transaction, scope, account_id), household(Transaction),
               Transaction.transfer_id.is_(None), func.coalesce(Transaction.category, "") != TRANSFER_CATEGORY,
               Transaction.date.between(period.start_date, period.end_date))
        .group_by(Transaction.currency, Transaction.date)
    ).all()
    return [(held, day, income or ZERO, expenses or ZERO) for held, day, income, expenses in rows]


def _monthly_parts(session: Session, scope: Scope, period: Period, account_id: int | None) -> list[tuple]:
    """(currency, month, money in, money out) from the per-currency report itself."""
    sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for report in income_and_expenses(session, scope, period, account_id):
        for figures in report.months:
            if figures.income or figures.expenses:
                sums[report.currency, figures.month] = [figures.income, figures.expenses]
    return [(held, month, income, expenses) for (held, month), (income, expenses) in sums.items()]
