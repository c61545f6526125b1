"""Sage 50 Accounts (UK) audit trail exported to CSV.

Each line posts a net amount to one nominal code. Amounts in the file are
positive and the transaction type gives the direction: a type that credits
the nominal code gives a positive amount (it raises profit on a
profit-and-loss code), one that debits it a negative amount. The file is one
ledger, so it becomes one statement of account type ``ledger``; its currency
is not in the file and is left to the account.

Double entry: each line posts to one nominal code and its other side follows
from its type, so the parser adds those postings as further rows of the same
ledger (external id ``No:code``), and every line with its postings sums to
zero. Credits are positive throughout:

- SI/SC (sales invoice/credit): the gross (net + tax) to 1100 Debtors control,
  the tax to 2200 Sales tax control.
- PI/PC (purchase invoice/credit): the gross to 2100 Creditors control, the
  tax to 2201 Purchase tax control.
- BP/BR, CP/CR, VP/VR (bank, cash, card payment/receipt): the gross to the
  bank the ``Account`` column names (a nominal code; else 1200 Bank current
  account, 1230 Petty cash, 1240 Company credit card), the tax to 2201 (a
  payment) or 2200 (a receipt).
- SR/SA (customer receipt/payment on account) and PP/PA (supplier
  payment/payment on account): the line's code is the bank; the amount goes to
  1100 or 2100.
- JD/JC (journals): no added posting; the journals of one date must balance
  each other, and a file where they do not is refused naming their lines. A
  date whose journals are all on one side (a single-entry journal) is posted
  against 1200 Bank current account.

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
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from dashboard.models.accounts import AccountType
from dashboard.models.nominal import (
    BANK_CURRENT_ACCOUNT, CREDIT_CARD, CREDITORS_CONTROL, DEBTORS_CONTROL, PETTY_CASH, PURCHASE_TAX_CONTROL,
    SAGE_50_UK_CHART, SALES_TAX_CONTROL,
)

from .records import ImportFileError, ParsedFile, ParsedStatement, ParsedTransaction
from .text import decode_text

CREDIT_TYPES = {
    "SI": "Sales invoice",
    "BR": "Bank receipt",
    "CR": "Cash receipt",
    "VR": "Credit card receipt",
    "JC": "Journal credit",
    "PC": "Purchase credit",
    "PP": "Purchase payment",
    "PA": "Purchase payment on account",
}
DEBIT_TYPES = {
    "PI": "Purchase invoice",
    "BP": "Bank payment",
    "CP": "Cash payment",
    "VP": "Credit card payment",
    "JD": "Journal debit",
    "SC": "Sales credit",
    "SR": "Sales receipt",
    "SA": "Sales receipt on account",
}
# Where a type's other side goes: (control or bank account, tax control); a bank type's bank may be named in the file.
CONTRA_ACCOUNTS = {
    "SI": (DEBTORS_CONTROL, SALES_TAX_CONTROL), "SC": (DEBTORS_CONTROL, SALES_TAX_CONTROL),
    "PI": (CREDITORS_CONTROL, PURCHASE_TAX_CONTROL), "PC": (CREDITORS_CONTROL, PURCHASE_TAX_CONTROL),
    "BP": (BANK_CURRENT_ACCOUNT, PURCHASE_TAX_CONTROL), "BR": (BANK_CURRENT_ACCOUNT, SALES_TAX_CONTROL),
    "CP": (PETTY_CASH, PURCHASE_TAX_CONTROL), "CR": (PETTY_CASH, SALES_TAX_CONTROL),
    "VP": (CREDIT_CARD, PURCHASE_TAX_CONTROL), "VR": (CREDIT_CARD, SALES_TAX_CONTROL),
    "SR": (DEBTORS_CONTROL, None), "SA": (DEBTORS_CONTROL, None),
    "PP": (CREDITORS_CONTROL, None), "PA": (CREDITORS_CONTROL, None),
}
BANK_TYPES = {"BP", "BR", "CP", "CR", "VP", "VR"}
JOURNAL_TYPES = {"JD", "JC"}
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
    postings: list[ParsedTransaction] = []
    journals: list[ParsedTransaction] = []
    seen_numbers: dict[str, int] = {}
    for line, row in rows:
        if line <= header_line or not any(cell.strip() for cell in row):
            continue
        values = {name: row[index].strip() if index < len(row) else "" for name, index in columns.items()}
        transaction = _transaction(values, line, seen_numbers)
        transactions.append(transaction)
        kind = values["type"].upper()
        if kind in JOURNAL_TYPES:
            journals.append(transaction)
        else:
            postings.extend(_other_side(transaction, kind, values))
    postings.extend(_journal_other_sides(journals))
    dates = [t.date for t in transactions]
    details = {
        "lines": str(len(transactions)),
        "nominal codes": str(len({t.nominal_code for t in transactions})),
        "balance-sheet lines": str(sum(1 for t in transactions if is_balance_sheet_code(t.nominal_code))),
    }
    if dates:
        details["period"] = f"{min(dates).isoformat()} to {max(dates).isoformat()}"
    details["postings"] = str(len(transactions) + len(postings))
    statement = ParsedStatement(transactions=transactions + postings, account_type=AccountType.LEDGER)
    return ParsedFile(format="sage", statements=[statement], encoding=encoding, details=details)


def is_posting(transaction: ParsedTransaction) -> bool:
    """True for a row the parser added as the other side of an audit-trail line."""
    return transaction.external_id is not None and ":" in transaction.external_id


def code_name(code: str) -> str:
    return SAGE_50_UK_CHART.get(code, code)


def _posting(line: ParsedTransaction, code: str, amount: Decimal) -> ParsedTransaction:
    return replace(line, amount=amount, nominal_code=code, category=code_name(code),
                   external_id=f"{line.external_id}:{code}" if line.external_id else None)


def _other_side(line: ParsedTransaction, kind: str, values: dict[str, str]) -> list[ParsedTransaction]:
    """The postings that balance one non-journal line (see the module docstring)."""
    control, tax_control = CONTRA_ACCOUNTS[kind]
    named_bank = values.get("account", "")
    if kind in BANK_TYPES and named_bank.isdigit():
        control = named_bank
    tax = _parse_amount(values["tax"], line.line) if values.get("tax") else Decimal(0)
    sign = 1 if line.amount > 0 else -1
    postings = [_posting(line, control, -line.amount - sign * tax)] if tax_control else [
        _posting(line, control, -line.amount)]
    if tax_control and tax:
        postings.append(_posting(line, tax_control, sign * tax))
    return [p for p in postings if p.amount]


def _journal_other_sides(journals: list[ParsedTransaction]) -> list[ParsedTransaction]:
    """Journals balance each other per date; a date with one side only posts against the bank."""
    by_date: dict[date, list[ParsedTransaction]] = {}
    for journal in journals:
        by_date.setdefault(journal.date, []).append(journal)
    postings = []
    for day, lines in sorted(by_date.items()):
        if all(line.amount > 0 for line in lines) or all(line.amount < 0 for line in lines):
            postings.extend(_posting(line, BANK_CURRENT_ACCOUNT, -line.amount) for line in lines)
        elif (difference := sum((line.amount for line in lines), Decimal(0))) != 0:
            numbers = ", ".join(str(line.line) for line in lines)
            raise ImportFileError(f"the journals of {day.isoformat()} do not balance: debits and credits differ "
                                  f"by {abs(difference)} (lines {numbers})", lines[0].line)
    return postings


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
        sign = 1
    elif kind in DEBIT_TYPES:
        sign = -1
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
        category=code_name(nominal_code),
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
