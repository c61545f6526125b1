"""Profit and loss by nominal code, from the monthly totals of ledger (Sage) data.

Amounts are signed as the ledger posts them: a credit is positive. Revenue
is credits less debits on the revenue ranges; costs are debits less credits.
Nominal codes that are not numbers, or are below FIRST_PROFIT_AND_LOSS_CODE (the balance sheet), or
fall in no configured range are not part of the profit and loss.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from dashboard.access import Scope
from dashboard.models import MonthlyTotal, Transaction, nominal
from dashboard.reports.periods import Period
from dashboard.reports.queries import report_criteria

ZERO = Decimal(0)
FIRST_PROFIT_AND_LOSS_CODE = 4000  # Sage 50 UK: the codes below are assets, liabilities and capital


class NominalKind(StrEnum):
    """What a range of nominal codes holds; the values are those ``PNL_RANGES`` in config names."""

    REVENUE = "revenue"
    DIRECT_COST = "direct"
    OVERHEAD = "overhead"


@dataclass(frozen=True)
class NominalRange:
    key: str
    label: str
    low: int
    high: int
    kind: NominalKind

    def holds(self, code: str) -> bool:
        return code.isdigit() and int(code) >= FIRST_PROFIT_AND_LOSS_CODE and self.low <= int(code) <= self.high


STATEMENT_LINES = {
    nominal.NominalKind.SALES: NominalKind.REVENUE,
    nominal.NominalKind.PURCHASES: NominalKind.DIRECT_COST,
    nominal.NominalKind.DIRECT_EXPENSES: NominalKind.DIRECT_COST,
    nominal.NominalKind.OVERHEADS: NominalKind.OVERHEAD,
}
# Derived from the kinds of the chart of accounts: sales 4000-4999, ..., overheads 7000-9999.
SAGE_50_UK_RANGES = tuple(
    NominalRange(kind.value, kind.label, low, high, STATEMENT_LINES[kind])
    for low, high, kind in nominal.SAGE_50_UK_KIND_RANGES if kind in STATEMENT_LINES
)


def nominal_ranges(configured: Iterable | None) -> tuple[NominalRange, ...]:
    """Ranges from app config (dicts or tuples in NominalRange's field order); the Sage 50 UK ones by default."""
    if not configured:
        return SAGE_50_UK_RANGES
    ranges = tuple(r if isinstance(r, NominalRange) else NominalRange(**r) if isinstance(r, dict) else NominalRange(*r)
                   for r in configured)
    kinds = tuple(NominalKind)
    for r in ranges:
        if r.kind not in kinds:
            raise ValueError(f"PNL_RANGES: {r.key} has kind {r.kind!r}; use {', '.join(kinds[:-1])} or {kinds[-1]}")
    return tuple(replace(r, kind=NominalKind(r.kind)) for r in ranges)


@dataclass
class StatementRow:
    """One row of the statement: a range, a nominal code within it, or a subtotal."""

    label: str
    values: list[Decimal]  # one per month of the period
    kind: str = "range"  # range, code or subtotal
    key: str = ""  # the range key (for ranges and their codes)
    code: str = ""
    group: NominalKind | None = None  # for a range

    @property
    def total(self) -> Decimal:
        return sum(self.values, ZERO)


@dataclass
class CurrencyProfitAndLoss:
    currency: str
    ranges: list[StatementRow] = field(default_factory=list)
    codes: dict[str, list[StatementRow]] = field(default_factory=dict)  # range key -> its codes
    revenue: list[Decimal] = field(default_factory=list)
    direct_costs: list[Decimal] = field(default_factory=list)
    overheads: list[Decimal] = field(default_factory=list)

    @property
    def gross_profit(self) -> list[Decimal]:
        return [r - d for r, d in zip(self.revenue, self.direct_costs)]

    @property
    def net_profit(self) -> list[Decimal]:
        return [g - o for g, o in zip(self.gross_profit, self.overheads)]

    def rows(self, expanded: Iterable[str] = ()) -> list[StatementRow]:
        """The statement top to bottom, with the codes of the ``expanded`` range keys under their range."""
        expanded = set(expanded)
        subtotals = {
            NominalKind.REVENUE: StatementRow("Total revenue", self.revenue, "subtotal", "revenue"),
            NominalKind.DIRECT_COST: StatementRow("Total direct costs", self.direct_costs, "subtotal", "direct_costs"),
            NominalKind.OVERHEAD: StatementRow("Total overheads", self.overheads, "subtotal", "overheads_total"),
        }
        rows: list[StatementRow] = []
        for kind in NominalKind:
            for row in self.ranges:
                if row.group == kind:
                    rows.append(row)
                    if row.key in expanded:
                        rows.extend(self.codes.get(row.key, []))
            rows.append(subtotals[kind])
            if kind == NominalKind.DIRECT_COST:
                rows.append(StatementRow("Gross profit", self.gross_profit, "subtotal", "gross_profit"))
        rows.append(StatementRow("Net profit", self.net_profit, "subtotal", "net_profit"))
        return rows


def comparison(current: CurrencyProfitAndLoss, earlier: CurrencyProfitAndLoss | None,
               expanded: Iterable[str] = ()) -> list[tuple[StatementRow, Decimal]]:
    """Each row of ``current`` with its total over the ``earlier`` period (zero where it had none)."""
    before = {(row.kind, row.key, row.code): row.total for row in (earlier.rows(expanded) if earlier else [])}
    return [(row, before.get((row.kind, row.key, row.code), ZERO)) for row in current.rows(expanded)]


def profit_and_loss(session: Session, scope: Scope, period: Period, account_id: int | None = None,
                    currency: str | None = None,
                    ranges: Sequence[NominalRange] = SAGE_50_UK_RANGES) -> list[CurrencyProfitAndLoss]:
    """Revenue, direct costs, gross profit, overheads and net profit per month, per currency."""
    rows = session.execute(
        select(MonthlyTotal.currency, MonthlyTotal.nominal_code, MonthlyTotal.month,
               func.sum(MonthlyTotal.income), func.sum(MonthlyTotal.expense))
        .where(*report_criteria(MonthlyTotal, scope, account_id, currency), MonthlyTotal.nominal_code != "",
               MonthlyTotal.month.between(period.first, period.last))
        .group_by(MonthlyTotal.currency, MonthlyTotal.nominal_code, MonthlyTotal.month)
    ).all()
    months = period.months
    position = {month: index for index, month in enumerate(months)}
    credits: dict[tuple[str, str], list[Decimal]] = {}
    for code_currency, code, month, income, expense in rows:
        values = credits.setdefault((code_currency, code), [ZERO] * len(months))
        values[position[month]] += income - expense
    results = []
    for code_currency in sorted({key[0] for key in credits}):
        report = CurrencyProfitAndLoss(code_currency)
        totals = {kind: [ZERO] * len(months) for kind in NominalKind}
        for nominal in ranges:
            # a cost is debits less credits: ZERO - v, since -v would make an empty month Decimal("-0") (-£0.00)
            codes = [
                StatementRow(code, list(values) if nominal.kind == NominalKind.REVENUE else [ZERO - v for v in values],
                             "code", nominal.key, code)
                for (cur, code), values in sorted(credits.items()) if cur == code_currency and nominal.holds(code)
            ]
            values = [sum(column, ZERO) for column in zip(*(c.values for c in codes))] or [ZERO] * len(months)
            report.ranges.append(StatementRow(nominal.label, values, "range", nominal.key, group=nominal.kind))
            report.codes[nominal.key] = codes
            totals[nominal.kind] = [a + b for a, b in zip(totals[nominal.kind], values)]
        report.revenue = totals[NominalKind.REVENUE]
        report.direct_costs = totals[NominalKind.DIRECT_COST]
        report.overheads = totals[NominalKind.OVERHEAD]
        results.append(report)
    return results


CODE_TRANSACTIONS_LIMIT = 1000


@dataclass
class CodeTransactions:
    transactions: list[Transaction]
    count: int
    credit_total: Decimal  # the sum of every matching transaction, credits positive

    @property
    def shown_all(self) -> bool:
        return len(self.transactions) == self.count


def code_transactions(session: Session, scope: Scope, period: Period, account_id: int | None = None, *,
                      currency: str, code: str) -> CodeTransactions:
    """The transactions behind one nominal code in one currency and period (at most
    CODE_TRANSACTIONS_LIMIT listed), with the count and sum of all of them."""
    criteria = [*report_criteria(Transaction, scope, account_id, currency), Transaction.nominal_code == code,
                Transaction.date.between(period.start_date, period.end_date)]
    count, total = session.execute(select(func.count(), func.sum(Transaction.amount)).where(*criteria)).one()
    transactions = session.scalars(
        select(Transaction).where(*criteria).order_by(Transaction.date, Transaction.id)
        .limit(CODE_TRANSACTIONS_LIMIT).options(joinedload(Transaction.account))
    ).all()
    return CodeTransactions(list(transactions), count, total or ZERO)
