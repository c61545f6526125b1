"""Chart.js configurations built from report results: plain dicts, written into a JSON block.

Amounts go out as decimal strings (never floats in Python); static/js/charts.js
turns them into numbers for drawing only, and formats them in the currency given.
"""
from __future__ import annotations

from decimal import Decimal

from dashboard.formatting import month, short_date
from dashboard.reports.balances import BalanceReport
from dashboard.reports.profit_and_loss import CurrencyProfitAndLoss
from dashboard.reports.queries import CurrencyIncomeExpenses, CurrencySpending


def _amounts(values) -> list[str | None]:
    return [None if v is None else f"{Decimal(v):f}" for v in values]


def _chart(kind: str, currency: str, labels: list[str], datasets: list[dict], **extra) -> dict:
    return {"type": kind, "currency": currency, "data": {"labels": labels, "datasets": datasets}, **extra}


def income_expenses_chart(report: CurrencyIncomeExpenses) -> dict:
    return _chart("bar", report.currency, [month(m.month) for m in report.months], [
        {"label": "Income", "data": _amounts(m.income for m in report.months)},
        {"label": "Expenses", "data": _amounts(m.expenses for m in report.months)},
        {"label": "Net", "data": _amounts(m.net for m in report.months), "type": "line"},
    ])


def spending_chart(report: CurrencySpending) -> dict:
    categories = report.categories
    return _chart("bar", report.currency, [c.label for c in categories], [
        {"label": "This period", "data": _amounts(c.spent for c in categories)},
        {"label": "Previous period", "data": _amounts(c.previous for c in categories)},
    ], horizontal=True)


def profit_and_loss_chart(report: CurrencyProfitAndLoss, months) -> dict:
    return _chart("bar", report.currency, [month(m) for m in months], [
        {"label": "Revenue", "data": _amounts(report.revenue)},
        {"label": "Direct costs", "data": _amounts(report.direct_costs)},
        {"label": "Overheads", "data": _amounts(report.overheads)},
        {"label": "Net profit", "data": _amounts(report.net_profit), "type": "line"},
    ])


def balances_charts(report: BalanceReport) -> list[dict]:
    label = month if report.monthly else short_date
    labels = [label(point) for point in report.points]
    return [
        _chart("line", currency.currency, labels, [
            *({"label": a.name, "data": _amounts(a.balances)} for a in currency.accounts),
            {"label": "Net worth", "data": _amounts(currency.net_worth), "borderWidth": 3},
        ])
        for currency in report.currencies
    ]
