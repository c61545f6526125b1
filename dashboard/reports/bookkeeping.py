"""Trial balance and balance sheet from the nominal-ledger accounts' postings.

A Sage import stores both sides of every audit-trail line (see
``importers.sage``), credits positive, so each code's balance as of a date is
the sum of its rows up to that day, and the balances of a ledger sum to zero.
The balance sheet takes its sections from the codes' kinds and carries the
profit of the profit-and-loss codes into capital and reserves, so it balances.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.models import Account, NominalCode, Transaction
from dashboard.models.nominal import PROFIT_AND_LOSS_KINDS, SAGE_50_UK_CHART, NominalKind, default_kind
from dashboard.reports.periods import MAX_MONTHS, Period, add_months
from dashboard.reports.profit_and_loss import CurrencyProfitAndLoss
from dashboard.reports.queries import ledger_account_ids, report_criteria

ZERO = Decimal(0)
PROFIT_LABEL = "Profit for the period"


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    kind: NominalKind | None

    @property
    def label(self) -> str:
        """"7100 Rent": how every page shows a code."""
        return f"{self.code} {self.name}" if self.name and self.name != self.code else self.code


def chart(session: Session, scope: Scope) -> dict[str, Code]:
    """The Sage 50 UK standard chart overlaid with the charts of the owners the scope sees."""
    codes = {code: Code(code, name, default_kind(code)) for code, name in SAGE_50_UK_CHART.items()}
    query = select(NominalCode).order_by(NominalCode.owner_id, NominalCode.code)
    if not scope.everyone:
        owners = select(Account.owner_id).where(scope.accounts())
        query = query.where(or_(NominalCode.owner_id == scope.owner_id, NominalCode.owner_id.in_(owners)))
    for row in session.scalars(query):
        codes[row.code] = Code(row.code, row.name, NominalKind(row.kind) if row.kind else default_kind(row.code))
    return codes


def describe(codes: dict[str, Code], code: str) -> Code:
    return codes.get(code) or Code(code, "", default_kind(code))


def label_codes(report: list[CurrencyProfitAndLoss], codes: dict[str, Code]) -> None:
    """Name the code rows of a profit and loss: "7100 Rent", not "7100"."""
    for currency in report:
        for rows in currency.codes.values():
            for row in rows:
                row.label = describe(codes, row.code).label


def postings_period(as_of: date) -> Period:
    """The longest report period ending in ``as_of``'s month: a trial-balance line's drill-down."""
    last = as_of.replace(day=1)
    return Period(add_months(last, 1 - MAX_MONTHS), last)


def code_balances(session: Session, scope: Scope, as_of: date) -> dict[tuple[str, str], Decimal]:
    """(currency, code) -> the credit balance (credits positive) of the ledger rows up to ``as_of``."""
    rows = session.execute(
        select(Transaction.currency, Transaction.nominal_code, func.sum(Transaction.amount))
        .where(*report_criteria(Transaction, scope), Transaction.account_id.in_(ledger_account_ids()),
               Transaction.nominal_code.is_not(None), Transaction.nominal_code != "", Transaction.date <= as_of)
        .group_by(Transaction.currency, Transaction.nominal_code)
    ).all()
    return {(currency, code): total for currency, code, total in rows}


@dataclass
class TrialBalanceLine:
    code: Code
    debit: Decimal
    credit: Decimal


@dataclass
class CurrencyTrialBalance:
    currency: str
    lines: list[TrialBalanceLine] = field(default_factory=list)

    @property
    def debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


def trial_balance(session: Session, scope: Scope, as_of: date) -> list[CurrencyTrialBalance]:
    """Every code with a balance as of the date, on its debit or credit side, per currency."""
    codes = chart(session, scope)
    by_currency: dict[str, CurrencyTrialBalance] = {}
    for (currency, code), balance in sorted(code_balances(session, scope, as_of).items()):
        report = by_currency.setdefault(currency, CurrencyTrialBalance(currency))
        if balance:
            report.lines.append(TrialBalanceLine(describe(codes, code), ZERO - min(balance, ZERO), max(balance, ZERO)))
    return list(by_currency.values())


# Sections top to bottom; an asset's figure is its debit balance, the others their credit balance.
ASSET_KINDS = (NominalKind.FIXED_ASSETS, NominalKind.CURRENT_ASSETS)
SECTION_KINDS = (NominalKind.FIXED_ASSETS, NominalKind.CURRENT_ASSETS, NominalKind.CURRENT_LIABILITIES,
                 NominalKind.LONG_TERM_LIABILITIES, NominalKind.CAPITAL_AND_RESERVES)


@dataclass
class SheetLine:
    code: Code | None  # None for the period's profit carried into reserves
    amount: Decimal
    previous: Decimal | None = None

    @property
    def label(self) -> str:
        return self.code.label if self.code else PROFIT_LABEL


@dataclass
class Section:
    kind: NominalKind
    lines: list[SheetLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def previous(self) -> Decimal:
        return sum((line.previous or ZERO for line in self.lines), ZERO)


@dataclass
class CurrencyBalanceSheet:
    currency: str
    sections: dict[NominalKind, Section]
    unclassified: list[str] = field(default_factory=list)  # codes of no kind, left out

    def _figure(self, attribute: str) -> dict[str, Decimal]:
        value = {kind: getattr(section, attribute) for kind, section in self.sections.items()}
        net_current = value[NominalKind.CURRENT_ASSETS] - value[NominalKind.CURRENT_LIABILITIES]
        net_assets = value[NominalKind.FIXED_ASSETS] + net_current - value[NominalKind.LONG_TERM_LIABILITIES]
        return {"net_current_assets": net_current, "net_assets": net_assets,
                "capital_and_reserves": value[NominalKind.CAPITAL_AND_RESERVES]}

    @property
    def figures(self) -> dict[str, Decimal]:
        return self._figure("total")

    @property
    def previous_figures(self) -> dict[str, Decimal]:
        return self._figure("previous")

    @property
    def balances(self) -> bool:
        return self.figures["net_assets"] == self.figures["capital_and_reserves"]


def balance_sheet(session: Session, scope: Scope, as_of: date,
                  previous: date | None = None) -> list[CurrencyBalanceSheet]:
    """The balance sheet as of ``as_of`` (and, beside it, as of ``previous``), per currency.

    Profit-and-loss codes are not listed: their sum since the ledger began is the profit carried into
    capital and reserves (a ledger with no year-end closing entries keeps it there).
    """
    codes = chart(session, scope)
    now = code_balances(session, scope, as_of)
    before = code_balances(session, scope, previous) if previous else {}
    results = []
    for currency in sorted({c for c, _ in now} | {c for c, _ in before}):
        sheet = CurrencyBalanceSheet(currency, {kind: Section(kind) for kind in SECTION_KINDS})
        profit = {"now": ZERO, "before": ZERO}
        keys = sorted({code for c, code in now if c == currency} | {code for c, code in before if c == currency})
        for code in keys:
            entry = describe(codes, code)
            amount, earlier = now.get((currency, code), ZERO), before.get((currency, code), ZERO)
            if entry.kind in PROFIT_AND_LOSS_KINDS:
                profit["now"] += amount
                profit["before"] += earlier
            elif entry.kind is None:
                sheet.unclassified.append(code)
            elif amount or earlier:
                sign = -1 if entry.kind in ASSET_KINDS else 1
                sheet.sections[entry.kind].lines.append(
                    SheetLine(entry, sign * amount + ZERO, sign * earlier + ZERO if previous else None))
        sheet.sections[NominalKind.CAPITAL_AND_RESERVES].lines.append(
            SheetLine(None, profit["now"], profit["before"] if previous else None))
        results.append(sheet)
    return results

