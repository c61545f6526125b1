"""Reports converted into one currency: income and expenses and spending by category at each transaction's date
(or at the month's average rate), balances at each point's date.

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
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.models import MonthlyTotal, Money, Transaction
from dashboard.models.accounts import TRANSFER_CATEGORY
from dashboard.rates.networth import NetWorth
from dashboard.rates.networth import converted_balances as converted_balances_on
from dashboard.reports.balances import BalanceReport
from dashboard.reports.periods import Period, month_end
from dashboard.reports.queries import (UNCATEGORISED_LABEL, MonthlySums, household, income_and_expenses,
                                       not_a_transfer, report_criteria)
from dashboard.rates.conversion import MissingRate, RateBook, UsedRate, load_rate_book
from dashboard.rates.preferences import IncomeConversion

if TYPE_CHECKING:  # the budgets blueprint imports the reports, which import this module
    from dashboard.budgets.services import BudgetLine, BudgetReport

ZERO = Decimal(0)


@dataclass
class Unconverted:
    currency: str
    income: Decimal
    expenses: Decimal
    reason: MissingRate


@dataclass
class ConvertedPart:
    """One currency's original figures within a month (or a category), what they converted to, and every rate
    used (one per day in the daily mode): what a page shows beside the converted figure."""

    currency: str
    income: Decimal = ZERO
    expenses: Decimal = ZERO
    converted_income: Decimal = ZERO
    converted_expenses: Decimal = ZERO
    used: list[UsedRate] = field(default_factory=list)

    def add(self, used: UsedRate, income: Decimal, expenses: Decimal) -> tuple[Decimal, Decimal]:
        converted = used.convert(income), used.convert(expenses)
        self.income += income
        self.expenses += expenses
        self.converted_income += converted[0]
        self.converted_expenses += converted[1]
        if used not in self.used:
            self.used.append(used)
        return converted

    def rates_label(self) -> str:
        """"at 0.86008" for one rate, "at 3 rates, 0.86008 to 0.865" for several."""
        values = sorted({used.value for used in self.used})
        if len(values) == 1:
            return f"at {values[0]:f}"
        return f"at {len(self.used)} rates, {values[0]:f} to {values[-1]:f}"

    def rates_description(self) -> str:
        return "; ".join(used.describe() for used in sorted(self.used, key=lambda used: used.day))


def _add_part(parts: dict[str, ConvertedPart], rates: dict[str, UsedRate], held: str, used: UsedRate,
              income: Decimal, expenses: Decimal) -> tuple[Decimal, Decimal]:
    rates[held] = used
    return parts.setdefault(held, ConvertedPart(held)).add(used, income, expenses)


@dataclass
class ConvertedMonth:
    month: date
    income: Decimal = ZERO
    expenses: Decimal = ZERO
    rates: dict[str, UsedRate] = field(default_factory=dict)  # the rate of each currency (the last one used)
    parts: dict[str, ConvertedPart] = field(default_factory=dict)  # each currency's originals and rates
    unconverted: list[Unconverted] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return self.income - self.expenses


@dataclass
class ConvertedIncomeExpenses(MonthlySums):
    currency: str
    conversion: IncomeConversion
    months: list[ConvertedMonth]

    @property
    def complete(self) -> bool:
        return not any(m.unconverted for m in self.months)


def converted_income_and_expenses(session: Session, scope: Scope, period: Period, currency: str,
                                  conversion: IncomeConversion, max_age_days: int, today: date,
                                  account_id: int | None = None,
                                  held_currency: str | None = None) -> ConvertedIncomeExpenses:
    """Income and expenses of every month of the period in ``currency``, as the user's setting says; rates of
    days after ``today`` are not looked for (a future row converts at today's rate or is flagged).
    ``held_currency`` keeps to the money held in that one currency, as the report's currency filter does."""
    months = {month: ConvertedMonth(month) for month in period.months}
    parts = (_daily_parts if conversion == IncomeConversion.DAILY else _monthly_parts)(
        session, scope, period, account_id, held_currency)
    for (held, day, income, expenses), used in _rates_of(session, scope, parts, period, currency, conversion,
                                                         max_age_days, today):
        month = months[day.replace(day=1)]
        if isinstance(used, MissingRate):
            month.unconverted.append(Unconverted(held, income, expenses, used))
            continue
        converted_income, converted_expenses = _add_part(month.parts, month.rates, held, used, income, expenses)
        month.income += converted_income
        month.expenses += converted_expenses
    return ConvertedIncomeExpenses(currency, conversion, list(months.values()))


def _rates_of(session: Session, scope: Scope, parts: list[tuple], period: Period, currency: str,
              conversion: IncomeConversion, max_age_days: int, today: date):
    """Each part (currency, day or month, ...) with the rate it converts at, or the MissingRate: one query."""
    last_day = min(period.end_date, today)
    book: RateBook = load_rate_book(session, scope.user_id, {*{p[0] for p in parts}, currency}, period.start_date,
                                    last_day, max_age_days)
    for part in parts:
        held, day = part[0], part[1]
        try:
            yield part, (book.rate(held, currency, day) if conversion == IncomeConversion.DAILY
                         else book.month_average(held, currency, day, last_day))
        except MissingRate as missing:
            yield part, missing


@dataclass
class ConvertedCategory:
    category: str  # '' for transactions without one
    spent: Decimal = ZERO
    rates: dict[str, UsedRate] = field(default_factory=dict)
    parts: dict[str, ConvertedPart] = field(default_factory=dict)
    unconverted: list[Unconverted] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.category or UNCATEGORISED_LABEL


@dataclass
class ConvertedSpending:
    currency: str
    conversion: IncomeConversion
    categories: list[ConvertedCategory]

    @property
    def spent(self) -> Decimal:
        return sum((c.spent for c in self.categories), ZERO)

    @property
    def complete(self) -> bool:
        return not any(c.unconverted for c in self.categories)


def converted_spending_by_category(session: Session, scope: Scope, period: Period, currency: str,
                                   conversion: IncomeConversion, max_age_days: int, today: date,
                                   account_id: int | None = None,
                                   held_currency: str | None = None) -> ConvertedSpending:
    """Money out per category over the period in ``currency``, each currency's part converted on its own."""
    if conversion == IncomeConversion.DAILY:
        spent = type_coerce(func.sum(-Transaction.amount), Money)
        category = func.coalesce(Transaction.category, "")
        rows = session.execute(
            select(Transaction.currency, Transaction.date, category, spent)
            .where(*report_criteria(Transaction, scope, account_id, held_currency), household(Transaction),
                   Transaction.amount < 0,
                   Transaction.transfer_id.is_(None), category != TRANSFER_CATEGORY,
                   Transaction.date.between(period.start_date, period.end_date))
            .group_by(Transaction.currency, Transaction.date, category)).all()
    else:
        rows = session.execute(
            select(MonthlyTotal.currency, MonthlyTotal.month, MonthlyTotal.category,
                   type_coerce(func.sum(MonthlyTotal.expense), Money))
            .where(*report_criteria(MonthlyTotal, scope, account_id, held_currency), not_a_transfer(), household(),
                   MonthlyTotal.month.between(period.first, period.last), MonthlyTotal.expense > 0)
            .group_by(MonthlyTotal.currency, MonthlyTotal.month, MonthlyTotal.category)).all()
    categories: dict[str, ConvertedCategory] = {}
    for (held, _day, name, amount), used in _rates_of(session, scope, [tuple(r) for r in rows], period, currency,
                                                      conversion, max_age_days, today):
        item = categories.setdefault(name, ConvertedCategory(name))
        if isinstance(used, MissingRate):
            item.unconverted.append(Unconverted(held, ZERO, amount, used))
        else:
            item.spent += _add_part(item.parts, item.rates, held, used, ZERO, amount)[1]
    ordered = sorted(categories.values(), key=lambda c: (-c.spent, c.category))
    return ConvertedSpending(currency, conversion, ordered)


def _daily_parts(session: Session, scope: Scope, period: Period, account_id: int | None,
                 held_currency: str | None) -> list[tuple]:
    """(currency, day, money in, money out) per currency and day, summed in SQL over the transactions the
    monthly totals count (transfers and nominal ledgers left out, as the per-currency report does)."""
    money_in = type_coerce(func.sum(case((Transaction.amount > 0, Transaction.amount), else_=0)), Money)
    money_out = type_coerce(func.sum(case((Transaction.amount < 0, -Transaction.amount), else_=0)), Money)
    rows = session.execute(
        select(Transaction.currency, Transaction.date, money_in, money_out)
        .where(*report_criteria(Transaction, scope, account_id, held_currency), household(Transaction),
               Transaction.transfer_id.is_(None), func.coalesce(Transaction.category, "") != TRANSFER_CATEGORY,
               Transaction.date.between(period.start_date, period.end_date))
        .group_by(Transaction.currency, Transaction.date)
    ).all()
    return [(held, day, income or ZERO, expenses or ZERO) for held, day, income, expenses in rows]


def _monthly_parts(session: Session, scope: Scope, period: Period, account_id: int | None,
                   held_currency: str | None) -> list[tuple]:
    """(currency, month, money in, money out) from the per-currency report itself."""
    sums: dict[tuple, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for report in income_and_expenses(session, scope, period, account_id, held_currency):
        for figures in report.months:
            if figures.income or figures.expenses:
                sums[report.currency, figures.month] = [figures.income, figures.expenses]
    return [(held, month, income, expenses) for (held, month), (income, expenses) in sums.items()]


def converted_balances(session: Session, scope: Scope, report: BalanceReport, currency: str, max_age_days: int,
                       today: date) -> list[NetWorth]:
    """The balances report's net worth at each point in ``currency``: each currency's figure of that point
    converted at the point's rate (a point after ``today`` at today's)."""
    if not report.points:
        return []
    worth = {c.currency: c.net_worth for c in report.currencies}
    # A monthly point is named by the month's first day and holds the balance at its end.
    days = [min(month_end(point) if report.monthly else point, today) for point in report.points]
    book = load_rate_book(session, scope.user_id, {*worth, currency}, min(days), max(days), max_age_days)
    return [converted_balances_on(book, {held: figures[i] for held, figures in worth.items()}, currency, day)
            for i, day in enumerate(days)]


@dataclass
class ConvertedBudgetLine:
    """One budget line in the target currency: its figures converted at one rate, or why not."""

    line: BudgetLine
    rate: UsedRate | None = None
    available: Decimal | None = None
    spent: Decimal | None = None
    remaining: Decimal | None = None
    missing: MissingRate | None = None


@dataclass
class ConvertedBudgets:
    currency: str
    day: date  # the date of the rates: the budget month's last day, or today while it runs
    lines: list[ConvertedBudgetLine]

    @property
    def complete(self) -> bool:
        return not any(line.missing for line in self.lines)

    def _sum(self, name: str) -> Decimal:
        return sum((getattr(line, name) for line in self.lines if not line.missing), ZERO)

    @property
    def available(self) -> Decimal:
        return self._sum("available")

    @property
    def spent(self) -> Decimal:
        return self._sum("spent")

    @property
    def remaining(self) -> Decimal:
        return self._sum("remaining")


def converted_budgets(session: Session, scope: Scope, report: BudgetReport, currency: str, max_age_days: int,
                      today: date) -> ConvertedBudgets:
    """Each budget line's available, spent and remaining in ``currency`` at the rate of the month's last day
    (today's while the month runs): one rate per line, so budget and spending compare at the same rate; each
    figure is rounded on its own and the totals are the sums of the lines as shown."""
    day = min(report.month.last, today)
    book = load_rate_book(session, scope.user_id, {*(line.currency for line in report.lines), currency}, day, day,
                          max_age_days)
    lines = []
    for line in report.lines:
        try:
            used = book.rate(line.currency, currency, day)
        except MissingRate as missing:
            lines.append(ConvertedBudgetLine(line, missing=missing))
            continue
        lines.append(ConvertedBudgetLine(line, used, used.convert(line.available), used.convert(line.spent),
                                         used.convert(line.remaining)))
    return ConvertedBudgets(currency, day, lines)
