"""Budget months: named ``YYYY-MM`` and starting on the owner's start day (a payday) instead of the 1st.

The month named 2026-03 with start day 25 runs from 25 March to 24 April; with the last working day
(the last Monday-to-Friday of the month, holidays not counted) it runs from that day in March to the
day before that day in April. With start day 1 a budget month is the calendar month, so budgets and
the reports read the same days.
"""
from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

PREFERENCE = "budget_month_start"  # the key in ``users.preferences``
LAST_WORKING_DAY = "last_working_day"
LATEST_START_DAY = 28
MONTH_FORMAT = re.compile(r"^(\d{4})-(\d{2})$")
HUNDRED = Decimal(100)

StartDay = int | str  # 1..28 or LAST_WORKING_DAY


def parse_start_day(value) -> StartDay:
    """A start day from a form, a command or the stored preference; ValueError for anything else."""
    if value == LAST_WORKING_DAY:
        return LAST_WORKING_DAY
    try:
        day = int(value)
    except (TypeError, ValueError):
        raise ValueError("The budget month starts on a day from 1 to 28, or on the last working day.") from None
    if not 1 <= day <= LATEST_START_DAY:
        raise ValueError("The budget month starts on a day from 1 to 28, or on the last working day.")
    return day


def start_day_of(preferences: dict | None) -> StartDay:
    """The owner's start day; the 1st when none (or an unreadable one) is stored."""
    try:
        return parse_start_day((preferences or {}).get(PREFERENCE, 1))
    except ValueError:
        return 1


def parse_month(text: str) -> date:
    """``2026-03`` -> date(2026, 3, 1); ValueError naming the expected form otherwise."""
    match = MONTH_FORMAT.match(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValueError(f"{text!r} is not a month: use YYYY-MM, such as 2026-03.")
    return date(int(match.group(1)), int(match.group(2)), 1)


def _first_day(year: int, month: int, start: StartDay) -> date:
    if start != LAST_WORKING_DAY:
        return date(year, month, start)
    day = date(year, month, monthrange(year, month)[1])
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _add_months(label: date, months: int) -> date:
    index = label.year * 12 + label.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class BudgetMonth:
    label: date  # the 1st of the month it is named after
    first: date
    last: date
    start: StartDay

    @property
    def name(self) -> str:
        return f"{self.label:%Y-%m}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def next(self) -> BudgetMonth:
        return budget_month(_add_months(self.label, 1), self.start)

    def previous(self) -> BudgetMonth:
        return budget_month(_add_months(self.label, -1), self.start)

    def share_gone(self, today: date) -> Decimal:
        """The percentage of the month's days that have passed (today counted), 0 before it and 100 after."""
        if today < self.first:
            return Decimal(0)
        passed = min((today - self.first).days + 1, self.days)
        return (Decimal(passed) * HUNDRED / self.days).quantize(Decimal("0.1"))


def budget_month(label: date, start: StartDay) -> BudgetMonth:
    """The budget month named by ``label`` (any day of it), starting on ``start``."""
    label = label.replace(day=1)
    following = _add_months(label, 1)
    return BudgetMonth(label, _first_day(label.year, label.month, start),
                       _first_day(following.year, following.month, start) - timedelta(days=1), start)


def month_of(day: date, start: StartDay) -> BudgetMonth:
    """The budget month ``day`` falls in: "this month" on the budget page and the dashboard."""
    month = budget_month(day, start)
    return month if day >= month.first else month.previous()
