"""Report periods: whole months, chosen by a preset or as a custom range."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

PRESETS = {
    "last_12_complete_months": "Last 12 complete months",
    "this_month": "This month",
    "last_month": "Last month",
    "last_3_months": "Last 3 months",
    "last_12_months": "Last 12 months",
    "year_to_date": "Year to date",
    "last_year": "Last year",
    "custom": "Custom",
}
# Every report opens on whole months that are over: never an empty month on the 1st, one period for all.
DEFAULT_PRESET = "last_12_complete_months"
MAX_MONTHS = 120
FIRST_YEAR, LAST_YEAR = 1900, 2999  # custom months outside these leave room for the period before and month ends


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """The months ``first`` to ``last`` inclusive, both given as the first day of their month."""

    first: date
    last: date

    @property
    def months(self) -> list[date]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month
        return [add_months(self.first, n) for n in range(count + 1)]

    @property
    def start_date(self) -> date:
        return self.first

    @property
    def end_date(self) -> date:
        return month_end(self.last)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        length = len(self.months)
        return Period(add_months(self.first, -length), add_months(self.first, -1))

    @property
    def label(self) -> str:
        if self.first == self.last:
            return self.first.strftime("%B %Y")
        return f"{self.first:%b %Y} – {self.last:%b %Y}"


def preset_period(preset: str, today: date) -> Period:
    this_month = today.replace(day=1)
    if preset == "last_12_complete_months":
        return Period(add_months(this_month, -12), add_months(this_month, -1))
    if preset == "this_month":
        return Period(this_month, this_month)
    if preset == "last_month":
        return Period(add_months(this_month, -1), add_months(this_month, -1))
    if preset == "last_3_months":
        return Period(add_months(this_month, -2), this_month)
    if preset == "last_12_months":
        return Period(add_months(this_month, -11), this_month)
    if preset == "year_to_date":
        return Period(date(today.year, 1, 1), this_month)
    if preset == "last_year":
        return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 1))
    raise ValueError(f"unknown period preset {preset!r}")


def custom_period(first: date, last: date) -> Period:
    """A custom range of months; raises ValueError with a message for the user when it makes no sense."""
    first, last = first.replace(day=1), last.replace(day=1)
    if first.year < FIRST_YEAR or last.year > LAST_YEAR:
        raise ValueError(f"Choose months between January {FIRST_YEAR} and December {LAST_YEAR}.")
    if last < first:
        raise ValueError("The end month is before the start month.")
    if len(Period(first, last).months) > MAX_MONTHS:
        raise ValueError(f"A report covers at most {MAX_MONTHS} months.")
    return Period(first, last)
