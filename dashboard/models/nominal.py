"""The chart of accounts: each owner's nominal codes with a name and a kind.

A code's kind says where it goes in the bookkeeping reports. Owners start from
the Sage 50 UK standard chart (the defaults Sage ships); a code missing from
an owner's chart takes its kind from the Sage 50 UK range it falls in.
"""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.models.base import Base


class NominalKind(StrEnum):
    SALES = "sales"
    PURCHASES = "purchases"
    DIRECT_EXPENSES = "direct_expenses"
    OVERHEADS = "overheads"
    FIXED_ASSETS = "fixed_assets"
    CURRENT_ASSETS = "current_assets"
    CURRENT_LIABILITIES = "current_liabilities"
    LONG_TERM_LIABILITIES = "long_term_liabilities"
    CAPITAL_AND_RESERVES = "capital_and_reserves"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


PROFIT_AND_LOSS_KINDS = (NominalKind.SALES, NominalKind.PURCHASES, NominalKind.DIRECT_EXPENSES, NominalKind.OVERHEADS)

# Sage 50 UK: the first code of each kind's range, in code order.
SAGE_50_UK_KIND_RANGES = (
    (0, 999, NominalKind.FIXED_ASSETS),
    (1000, 1999, NominalKind.CURRENT_ASSETS),
    (2000, 2299, NominalKind.CURRENT_LIABILITIES),
    (2300, 2999, NominalKind.LONG_TERM_LIABILITIES),
    (3000, 3999, NominalKind.CAPITAL_AND_RESERVES),
    (4000, 4999, NominalKind.SALES),
    (5000, 5999, NominalKind.PURCHASES),
    (6000, 6999, NominalKind.DIRECT_EXPENSES),
    (7000, 9999, NominalKind.OVERHEADS),
)

SAGE_50_UK_CHART = {
    "0010": "Freehold property", "0020": "Plant and machinery", "0030": "Office equipment",
    "0040": "Furniture and fixtures", "0050": "Motor vehicles",
    "1001": "Stock", "1100": "Debtors control", "1200": "Bank current account", "1210": "Bank deposit account",
    "1220": "Building society account", "1230": "Petty cash", "1240": "Company credit card",
    "2100": "Creditors control", "2200": "Sales tax control", "2201": "Purchase tax control",
    "2202": "VAT liability", "2210": "P.A.Y.E.", "2211": "National insurance", "2300": "Loans",
    "2310": "Hire purchase", "3000": "Ordinary shares", "3200": "Profit and loss",
    "4000": "Sales type A", "4001": "Sales type B", "4002": "Sales type C", "4009": "Discounts allowed",
    "4900": "Miscellaneous income", "5000": "Materials purchased", "5001": "Materials imported",
    "6000": "Productive labour", "6201": "Advertising", "7000": "Gross wages", "7100": "Rent",
    "7200": "Electricity", "7502": "Telephone", "7901": "Bank charges and interest", "8000": "Depreciation",
    "9998": "Suspense account", "9999": "Mispostings account",
}

BANK_CURRENT_ACCOUNT, PETTY_CASH, CREDIT_CARD = "1200", "1230", "1240"
DEBTORS_CONTROL, CREDITORS_CONTROL = "1100", "2100"
SALES_TAX_CONTROL, PURCHASE_TAX_CONTROL = "2200", "2201"


def default_kind(code: str) -> NominalKind | None:
    """The kind of the Sage 50 UK range ``code`` falls in; None for a code that is not a number."""
    if not code.isdigit():
        return None
    return next(kind for low, high, kind in SAGE_50_UK_KIND_RANGES if low <= int(code) <= high) \
        if int(code) <= 9999 else None


class NominalCode(Base):
    __tablename__ = "nominal_codes"
    __table_args__ = (UniqueConstraint("owner_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<NominalCode {self.code} {self.name}>"
