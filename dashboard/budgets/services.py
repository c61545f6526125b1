"""Budgets of one owner: setting them, and the budgeted, spent and remaining figures of a budget month.

Spending is read from the ledger's entries (a split transaction counts part by part) with the
reports' rules: money out only, transfers and nominal-ledger accounts left out, every account the
scope sees, each currency apart. With the month starting on the 1st the figures are exactly the
reports' spending by category; a later start day only moves the days a month covers.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.access import Scope, budget_or_404
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.budgets.months import (
    PREFERENCE,
    BudgetMonth,
    StartDay,
    budget_month,
    month_of,
    parse_start_day,
    start_day_of,
)
from dashboard.categories.seeding import seed_categories
from dashboard.categories.services import category_named
from dashboard.ledger import ledger_entries
from dashboard.models import Budget, Category, Transaction, User
from dashboard.models.accounts import TRANSFER_CATEGORY
from dashboard.models.base import storable_amount
from dashboard.models.categories import PARENT_SEPARATOR
from dashboard.reports.queries import household

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class BudgetError(ValueError):
    """A budget refused for a reason the user can fix; the message says which."""


@dataclass
class BudgetLine:
    category_id: int
    label: str  # "Food" or "Food › Groceries"
    currency: str
    budgeted: Decimal  # this month's amount
    carried: Decimal  # rolled over from earlier months: positive unspent, negative overspent
    spent: Decimal
    budget_ids: list[int] = field(default_factory=list)

    @property
    def available(self) -> Decimal:
        return self.budgeted + self.carried

    @property
    def remaining(self) -> Decimal:
        return self.available - self.spent

    @property
    def over(self) -> bool:
        return self.remaining < 0

    @property
    def share_spent(self) -> Decimal:
        """Spent as a percentage of what was available, one decimal; 100 when nothing was."""
        if self.available <= 0:
            return HUNDRED if self.spent else ZERO
        return (self.spent * HUNDRED / self.available).quantize(Decimal("0.1"))


@dataclass
class BudgetReport:
    month: BudgetMonth
    share_gone: Decimal
    lines: list[BudgetLine]

    def totals(self) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
        """(available, spent, remaining) per currency."""
        sums: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
        for line in self.lines:
            figures = sums[line.currency]
            figures[0] += line.available
            figures[1] += line.spent
            figures[2] += line.remaining
        return {currency: tuple(values) for currency, values in sorted(sums.items())}


def categories_by_id(session: Session, owner_id: int) -> dict[int, Category]:
    return {c.id: c for c in session.scalars(select(Category).where(Category.owner_id == owner_id))}


def category_label(category: Category, categories: dict[int, Category]) -> str:
    parent = categories.get(category.parent_id) if category.parent_id else None
    return f"{parent.name}{PARENT_SEPARATOR}{category.name}" if parent else category.name


def find_category(session: Session, owner_id: int, name: str) -> Category:
    """The owner's category named ``name`` (ignoring case) or labelled "Parent › Name" (the owner's list seeded
    first); BudgetError when there is none."""
    seed_categories(session, owner_id)
    category = category_named(session, owner_id, name.split(PARENT_SEPARATOR.strip())[-1].strip())
    if category is None:
        raise BudgetError(f"There is no category named {name!r}: add it to your categories first.")
    return category


def set_budget(session: Session, scope: Scope, actor: Actor, category: Category, amount: Decimal, currency: str,
               month: date | None, rollover_unspent: bool = False, rollover_overspent: bool = False,
               starts: date | None = None) -> Budget:
    """Create or replace the owner's budget for ``category`` in ``currency``: for the budget month ``month``
    (its 1st), or, with None, every month from ``starts`` on. Audited."""
    if category.owner_id != scope.owner_id:
        raise BudgetError("There is no such category.")
    if not storable_amount(amount) or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise BudgetError("A budget is a positive amount with at most two decimal places.")
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise BudgetError("Use a three-letter ISO 4217 currency code, such as GBP, EUR or USD.")
    budget = session.scalar(select(Budget).where(
        Budget.owner_id == scope.owner_id, Budget.category_id == category.id, Budget.currency == currency,
        Budget.month.is_(None) if month is None else Budget.month == month))
    if budget is None:
        budget = Budget(owner_id=scope.owner_id, category_id=category.id, currency=currency, month=month,
                        starts=month or starts or date.today().replace(day=1))
        session.add(budget)
    budget.amount, budget.rollover_unspent, budget.rollover_overspent = amount, rollover_unspent, rollover_overspent
    session.flush()
    record_event(session, AuditAction.BUDGET_SET, actor, owner_id=scope.owner_id, target=f"budget:{budget.id}",
                 details={"category": category.name, "currency": currency, "amount": str(amount),
                          "month": f"{month:%Y-%m}" if month else None, "starts": f"{budget.starts:%Y-%m}",
                          "rollover_unspent": rollover_unspent, "rollover_overspent": rollover_overspent})
    return budget


def delete_budget(session: Session, scope: Scope, actor: Actor, budget_id: int) -> None:
    budget = budget_or_404(session, scope, budget_id)
    record_event(session, AuditAction.BUDGET_DELETE, actor, owner_id=budget.owner_id, target=f"budget:{budget.id}",
                 details={"category_id": budget.category_id, "currency": budget.currency, "amount": str(budget.amount),
                          "month": f"{budget.month:%Y-%m}" if budget.month else None})
    session.delete(budget)
    session.flush()


def set_month_start(session: Session, actor: Actor, user: User, value) -> StartDay:
    """Store the day the user's budget month starts (1-28 or the last working day); BudgetError otherwise."""
    try:
        start = parse_start_day(value)
    except ValueError as error:
        raise BudgetError(str(error)) from None
    user.preferences = {**(user.preferences or {}), PREFERENCE: start}
    session.flush()
    record_event(session, AuditAction.PREFERENCES_BUDGET_MONTH, actor, owner_id=user.id, target=f"user:{user.id}",
                 details={"start": start})
    return start


def daily_spending(session: Session, scope: Scope, first: date, last: date) -> dict[tuple[str, str], dict[date, Decimal]]:
    """Money out per (category, currency) and day between ``first`` and ``last``: the reports' spending, by day."""
    entries = ledger_entries(scope.rows(Transaction), household(Transaction), Transaction.date.between(first, last))
    rows = session.execute(
        select(entries.c.totals_category, entries.c.currency, entries.c.date, func.sum(-entries.c.amount))
        .where(entries.c.amount < 0, entries.c.totals_category != TRANSFER_CATEGORY)
        .group_by(entries.c.totals_category, entries.c.currency, entries.c.date)
    ).all()
    spending: dict[tuple[str, str], dict[date, Decimal]] = defaultdict(dict)
    for category, currency, day, spent in rows:
        spending[(category, currency)][day] = spent
    return spending


def budget_report(session: Session, scope: Scope, start: StartDay, label: date, today: date) -> BudgetReport:
    """Every budget line of the owner for the budget month ``label``: budgeted, carried, spent and remaining."""
    month = budget_month(label, start)
    budgets = session.scalars(select(Budget).where(Budget.owner_id == scope.owner_id)).all()
    categories = categories_by_id(session, scope.owner_id)
    by_line: dict[tuple[int, str], list[Budget]] = defaultdict(list)
    for budget in budgets:
        if budget.category_id in categories:
            by_line[(budget.category_id, budget.currency)].append(budget)
    lines_budgets = {key: group for key, group in by_line.items() if _applies(group, month.label)}
    if not lines_budgets:
        return BudgetReport(month, month.share_gone(today), [])
    earliest = min([min(b.starts for b in group) for group in lines_budgets.values()
                    if any(b.rollover_unspent or b.rollover_overspent for b in group)] + [month.label])
    spending = daily_spending(session, scope, budget_month(earliest, start).first, month.last)
    children: dict[int, list[str]] = defaultdict(list)
    for category in categories.values():
        if category.parent_id:
            children[category.parent_id].append(category.name)
    lines = []
    for (category_id, currency), group in lines_budgets.items():
        category = categories[category_id]
        names = [category.name, *children[category_id]]

        def spent_in(period: BudgetMonth, names=names, currency=currency) -> Decimal:
            return sum((spent for name in names for day, spent in spending.get((name, currency), {}).items()
                        if period.first <= day <= period.last), ZERO)

        carried = _carried(group, month, spent_in)
        lines.append(BudgetLine(category_id, category_label(category, categories), currency,
                                _budgeted(group, month.label), carried, spent_in(month), [b.id for b in group]))
    lines.sort(key=lambda line: (line.currency, line.label.casefold()))
    return BudgetReport(month, month.share_gone(today), lines)


def _budget_for(group: list[Budget], label: date) -> Budget | None:
    """The budget that applies in the month ``label``: its own one-month budget, else the every-month one."""
    for budget in group:
        if budget.month == label:
            return budget
    return next((b for b in group if b.month is None and b.starts <= label), None)


def _applies(group: list[Budget], label: date) -> bool:
    return _budget_for(group, label) is not None


def _budgeted(group: list[Budget], label: date) -> Decimal:
    budget = _budget_for(group, label)
    return budget.amount if budget else ZERO


def _carried(group: list[Budget], month: BudgetMonth, spent_in) -> Decimal:
    """What earlier months roll into ``month``: each month's remainder, kept when its budget rolls that kind
    (unspent or overspent) over, from the line's first month up to the month before."""
    carried = ZERO
    period = budget_month(min(b.starts for b in group), month.start)
    while period.label < month.label:
        budget = _budget_for(group, period.label)
        if budget is None:
            carried = ZERO
        else:
            remaining = budget.amount + carried - spent_in(period)
            keep = budget.rollover_unspent if remaining > 0 else budget.rollover_overspent
            carried = remaining if keep else ZERO
        period = period.next()
    return carried


def this_months_budgets(session: Session, user: User, today: date) -> BudgetReport:
    """The user's budgets in the budget month that ``today`` falls in (their start day decides which)."""
    start = start_day_of(user.preferences)
    return budget_report(session, Scope.of_user(user.id), start, month_of(today, start).label, today)
