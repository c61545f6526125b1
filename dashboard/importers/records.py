"""What every parser returns, whatever the file format.

Parsers are pure functions ``parse(data: bytes) -> ParsedFile`` that raise
:class:`ImportFileError` with a physical line number (the first line being 1)
when the file cannot be read. They never touch the database; the import
service (``dashboard/importers/services.py``, writing through ``batches.py``) turns a ``ParsedFile`` into rows.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any
from datetime import date, datetime
from decimal import Decimal

from dashboard.models.accounts import TransactionStatus

POSTED, PENDING = TransactionStatus.POSTED, TransactionStatus.PENDING


class ImportFileError(ValueError):
    """A file that cannot be imported; ``line`` is the physical line, 1-based."""

    def __init__(self, reason: str, line: int | None = None):
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line else reason)


@dataclass(frozen=True, slots=True)  # slots: a large file holds one per row
class ParsedTransaction:
    date: date
    amount: Decimal  # signed: negative is money out of the account
    description: str
    line: int | None = None  # physical line where the record starts
    external_id: str | None = None  # the source's own id (FITID, CSV id column, ...)
    counterparty: str | None = None
    category: str | None = None
    nominal_code: str | None = None  # ledger imports (Sage): kept as a string, "0030"
    status: str = POSTED
    currency: str | None = None  # when the row states one; else the statement's
    memo: str | None = None
    balance: Decimal | None = None  # the running balance the file states after this row


@dataclass
class ParsedStatement:
    """One account's part of a file. Most files hold one; OFX and CAMT may hold several."""

    # A list, or for a streamed CSV a collection read afresh on each pass (bank_csv.StreamedRows).
    transactions: list[ParsedTransaction] = field(default_factory=list)
    account_id: str | None = None  # the file's id for the account (ACCTID, IBAN, ...)
    account_type: str | None = None  # checking, savings, credit_card, ledger, ...
    institution: str | None = None
    currency: str | None = None
    ledger_balance: Decimal | None = None
    available_balance: Decimal | None = None
    balance_as_of: datetime | None = None
    # The balance before the statement's first day's rows (camt OPBD, or PRCD in a camt.052), on that day.
    opening_balance: Decimal | None = None
    opening_date: date | None = None
    # True when the rows are known to run in date order (either way): the import then counts identical rows
    # one day at a time instead of over the whole file.
    rows_in_date_order: bool = False


@dataclass
class ParsedFile:
    format: str  # csv, ofx, qif, camt053, sage
    statements: list[ParsedStatement]
    encoding: str | None = None
    details: dict[str, str] = field(default_factory=dict)  # shown in the preview
    # A CSV's detected ColumnMapping when a date order chose its date format: the
    # import saves it on the account, which so remembers the order for next time.
    settled_mapping: Any = None

    @property
    def transactions(self) -> list[ParsedTransaction]:
        return [t for statement in self.statements for t in statement.transactions]


def drop_repeated_ids(statements: list[ParsedStatement]) -> None:
    """Forget an external id that two rows of one account share (banks reuse FITIDs and references),
    so the loader identifies those rows by their content instead of merging distinct transactions."""
    ids = Counter((s.account_id, t.external_id) for s in statements for t in s.transactions if t.external_id)
    for statement in statements:
        statement.transactions = [
            replace(t, external_id=None) if ids[(statement.account_id, t.external_id)] > 1 else t
            for t in statement.transactions
        ]
