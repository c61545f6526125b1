"""A budget month as CSV: exactly ``category,currency,budgeted,spent,remaining`` (DESIGN's contract).

What was carried over and whether a line is over budget stay on the budget page; ``remaining`` already counts
what was carried.
"""
from __future__ import annotations

from collections.abc import Iterator

from dashboard.budgets.services import BudgetReport
from dashboard.downloads import csv_lines
from dashboard.formatting import plain_amount

BUDGET_HEADER = ("category", "currency", "budgeted", "spent", "remaining")


def budget_csv(report: BudgetReport) -> Iterator[str]:
    """``budgeted`` is this month's amount; ``remaining`` is budgeted + carried - spent."""
    return csv_lines(BUDGET_HEADER, (
        (line.label, line.currency, plain_amount(line.budgeted), plain_amount(line.spent),
         plain_amount(line.remaining))
        for line in report.lines
    ))
