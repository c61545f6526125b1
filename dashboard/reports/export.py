"""Report results as CSV tables: the rows each report page's table shows, amounts as plain decimals.

Pure functions from a report result to ``(header, rows)``, every cell text, so
the downloads of the user's and the organisation's pages are built once and
tests read them without a request.
"""
from __future__ import annotations

from collections.abc import Iterable

from dashboard.formatting import plain_amount
from dashboard.reports.balances import MONTHLY, BalanceReport
from dashboard.reports.bookkeeping import CurrencyBalanceSheet, CurrencyTrialBalance
from dashboard.reports.periods import Period
from dashboard.reports.profit_and_loss import CodeTransactions, CurrencyProfitAndLoss
from dashboard.reports.queries import CurrencyIncomeExpenses, CurrencySpending

Table = tuple[list[str], list[list[str]]]
TOTAL_LABEL = "Total"


def report_filename(name: str, period: Period) -> str:
    """``income-and-expenses-2025-01-to-2025-03.csv``."""
    return f"{name}-{period.first:%Y-%m}-to-{period.last:%Y-%m}.csv"


def code_filename(code: str, period: Period) -> str:
    """The download name for one nominal code's transactions: the code's letters and digits only."""
    return report_filename("nominal-code-" + "".join(c for c in code if c.isalnum()), period)


def income_expenses_table(report: Iterable[CurrencyIncomeExpenses]) -> Table:
    rows = []
    for currency in report:
        rows += [[currency.currency, f"{m.month:%Y-%m}", *_amounts(m.income, m.expenses, m.net, m.running_net)]
                 for m in currency.months]
        rows.append([currency.currency, TOTAL_LABEL, *_amounts(currency.income, currency.expenses, currency.net), ""])
    return ["currency", "month", "income", "expenses", "net", "running_net"], rows


def spending_table(report: Iterable[CurrencySpending]) -> Table:
    rows = []
    for currency in report:
        rows += [[currency.currency, c.label, plain_amount(c.spent), str(c.share),
                  *_amounts(c.previous, c.change), "" if c.change_percent is None else str(c.change_percent)]
                 for c in currency.categories]
        rows.append([currency.currency, TOTAL_LABEL, plain_amount(currency.spent), "",
                     *_amounts(currency.previous, currency.spent - currency.previous), ""])
    return ["currency", "category", "spent", "share_percent", "previous_period", "change", "change_percent"], rows


def profit_and_loss_table(report: Iterable[CurrencyProfitAndLoss], months, expanded: Iterable[str] = ()) -> Table:
    """The statement with the codes of the ``expanded`` ranges, one column per month of the period."""
    expanded = list(expanded)
    rows = []
    for currency in report:
        rows += [[currency.currency, row.label, row.code, *_amounts(*row.values, row.total)]
                 for row in currency.rows(expanded)]
    return ["currency", "line", "nominal_code", *(f"{m:%Y-%m}" for m in months), "total"], rows


def code_transactions_table(found: CodeTransactions) -> Table:
    return ["date", "description", "account", "type", "amount", "currency"], [
        [t.date.isoformat(), t.description, t.account.name, t.category or "", plain_amount(t.amount), t.currency]
        for t in found.transactions
    ]


def trial_balance_table(report: Iterable[CurrencyTrialBalance]) -> Table:
    rows = []
    for currency in report:
        rows += [[line.code.code, line.code.name, *_amounts(line.debit, line.credit), currency.currency]
                 for line in currency.lines]
        rows.append(["", TOTAL_LABEL, *_amounts(currency.debit, currency.credit), currency.currency])
    return ["code", "name", "debit", "credit", "currency"], rows


def balance_sheet_table(report: Iterable[CurrencyBalanceSheet], previous: bool) -> Table:
    """Each section's lines and total, then the net current assets, net assets and capital and reserves."""
    rows = []
    for sheet in report:
        for kind, section in sheet.sections.items():
            for line in section.lines:
                code = line.code.code if line.code else ""
                name = line.code.name if line.code else line.label
                rows.append([kind.label, code, name, plain_amount(line.amount), sheet.currency,
                             *([plain_amount(line.previous)] if previous else [])])
            rows.append([kind.label, "", TOTAL_LABEL, plain_amount(section.total), sheet.currency,
                         *([plain_amount(section.previous)] if previous else [])])
        for key, value in sheet.figures.items():
            rows.append([key.replace("_", " ").capitalize(), "", TOTAL_LABEL, plain_amount(value), sheet.currency,
                         *([plain_amount(sheet.previous_figures[key])] if previous else [])])
    return ["section", "code", "name", "amount", "currency", *(["previous"] if previous else [])], rows


def balances_table(report: BalanceReport) -> Table:
    """One row per account, net worth and change at each point: months as ``2025-01``, days as ``2025-01-31``."""
    point_format = "%Y-%m" if report.step == MONTHLY else "%Y-%m-%d"
    rows = []
    for currency in report.currencies:
        worth, changes = currency.net_worth, currency.changes
        for index, point in enumerate(report.points):
            when = f"{point:{point_format}}"
            rows += [[currency.currency, when, a.name, plain_amount(a.balances[index])] for a in currency.accounts]
            rows.append([currency.currency, when, "Net worth", plain_amount(worth[index])])
            rows.append([currency.currency, when, "Change", plain_amount(changes[index])])
    return ["currency", report.step, "series", "amount"], rows


def _amounts(*values) -> list[str]:
    return [plain_amount(v) for v in values]
