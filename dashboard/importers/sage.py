"""Sage 50 Accounts (UK) audit trail exported to CSV.

Each line posts a net amount to one nominal code. Amounts in the file are
positive and the transaction type gives the direction: a type that credits
the nominal code gives a positive amount (it raises profit on a
profit-and-loss code), one that debits it a negative amount. The file is one
ledger, so it becomes one statement of account type ``ledger``; its currency
is not in the file and is left to the account.

The ``No`` column (the audit-trail transaction number) is the external id.
Sage numbers every split line, but some exports repeat the number on each
split of one transaction: the first line keeps ``No`` and each further line
with the same number becomes ``No/2``, ``No/3``, ... in file order, so a later
export that repeats the same lines gives the same ids.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

from dashboard.models.accounts import AccountType

from .records import ImportFileError, ParsedFile, ParsedStatement, ParsedTransaction
from .text import decode_text

CREDIT_TYPES = {
    "SI": "Sales invoice",
    "BR": "Bank receipt",
    "CR": "Cash receipt",
    "VR": "Credit card receipt",
    "JC": "Journal credit",
    "PC": "Purchase credit",
}
DEBIT_TYPES = {
    "PI": "Purchase invoice",
    "BP": "Bank payment",
    "CP": "Cash payment",
    "VP": "Credit card payment",
    "JD": "Journal debit",
    "SC": "Sales credit",
}
REQUIRED_COLUMNS = ("No", "Type", "Nominal", "Details", "Date", "Net")
_AMOUNT = re.compile(r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")


def parse(data: bytes) -> ParsedFile:
    text, encoding = decode_text(data)
    rows = _rows_with_lines(text)
    header_line, header = next(((line, row) for line, row in rows if any(row)), (1, []))
    columns = {name.strip().lower(): index for index, name in enumerate(header)}
    missing = [name for name in REQUIRED_COLUMNS if name.lower() not in columns]
    if missing:
        raise ImportFileError(f"not a Sage 50 audit trail: no column {', '.join(missing)}", header_line)
    transactions: list[ParsedTransaction] = []
    seen_numbers: dict[str, int] = {}
    for line, row in rows:
        if line <= header_line or not any(cell.strip() for cell in row):
            continue
        values = {name: row[index].strip() if index < len(row) else "" for name, index in columns.items()}
        transactions.append(_transaction(values, line, seen_numbers))
    dates = [t.date for t in transactions]
    details = {
        "lines": str(len(transactions)),
        "nominal codes": str(len({t.nominal_code for t in transactions})),
        "balance-sheet lines": str(sum(1 for t in transactions if is_balance_sheet_code(t.nominal_code))),
    }
    if dates:
        details["period"] = f"{min(dates).isoformat()} to {max(dates).isoformat()}"
    statement = ParsedStatement(transactions=transactions, account_type=AccountType.LEDGER)
    return ParsedFile(format="sage", statements=[statement], encoding=encoding, details=details)


def is_balance_sheet_code(nominal_code: str | None) -> bool:
    """Sage 50 UK codes below 4000 are assets, liabilities and capital, not profit and loss."""
    return nominal_code is not None and nominal_code.isdigit() and int(nominal_code) < 4000


def _rows_with_lines(text: str) -> list[tuple[int, list[str]]]:
    """CSV rows with the physical line each starts on (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    next_line = 1
    try:
        for row in reader:
            rows.append((next_line, row))
            next_line = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(f"unreadable CSV: {error}", next_line) from None
    return rows


def _transaction(values: dict[str, str], line: int, seen_numbers: dict[str, int]) -> ParsedTransaction:
    kind = values["type"].upper()
    if kind in CREDIT_TYPES:
        sign, type_name = 1, CREDIT_TYPES[kind]
    elif kind in DEBIT_TYPES:
        sign, type_name = -1, DEBIT_TYPES[kind]
    else:
        raise ImportFileError(f"unknown Sage transaction type {values['type']!r}", line)
    nominal_code = values["nominal"]
    if not nominal_code:
        raise ImportFileError("line has no nominal code", line)
    number = values["no"]
    seen_numbers[number] = seen_numbers.get(number, 0) + 1
    occurrence = seen_numbers[number]
    return ParsedTransaction(
        date=_parse_date(values["date"], line),
        amount=sign * _parse_amount(values["net"], line),
        description=values["details"],
        line=line,
        external_id=(number if occurrence == 1 else f"{number}/{occurrence}") if number else None,
        counterparty=values.get("account") or None,
        category=type_name,
        nominal_code=nominal_code,
        memo=values.get("ref") or None,
    )


def _parse_date(text: str, line: int) -> date:
    """dd/mm/yyyy, as every UK Sage 50 export writes it."""
    if not re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
        raise ImportFileError(f"unreadable date {text!r} (expected dd/mm/yyyy)", line)
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise ImportFileError(f"impossible date {text!r}", line) from None


def _parse_amount(text: str, line: int) -> Decimal:
    if not _AMOUNT.fullmatch(text):
        raise ImportFileError(f"unreadable amount {text!r}", line)
    return Decimal(text.replace(",", ""))
