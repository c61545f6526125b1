"""Quicken Interchange Format (QIF) bank, cash and credit-card exports.

A QIF file is a list of sections (``!Type:Bank``, ``!Type:CCard``, ...), each
a list of records whose lines start with a one-letter field code and end with
``^``. ``!Account`` blocks name the account the following sections belong to.

Choices a reader would otherwise have to guess:

- Day or month first is decided once for the whole file: a first field above
  12 anywhere means day-first, a second field above 12 means month-first;
  otherwise the file's own ``!Option:MDY`` or ``!Option:DMY`` line (Finanzmanager
  writes one) decides, then the date order the user gives (``date_order``:
  their setting for ambiguous files, as for a CSV), and failing that the QIF
  (US) convention of month-first holds, except for files written with dots
  (``05.01.2025``), which is the European day-first form.
- Lines starting with ``#`` before the first section are comments, not data.
- A split record (``S``/``E``/``$`` lines) stays one transaction with the
  record's total. Its category is the splits' category when they all agree,
  otherwise ``"Split"``; the split memos fill the memo when ``M`` is absent.
- ``N`` (the "number") is mostly a cheque number or a word like ``ATM``, and
  only sometimes the bank's own transaction id. It becomes the external id
  only when it looks like one (at least 10 letters and digits, with at least
  one digit) and is unique in its account in this file; otherwise it is kept
  in the memo as ``#N`` and the loader identifies the row by its hash.
- ``C`` (cleared) is the user's reconciliation mark, not the bank's pending
  state: every QIF transaction is posted.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .records import ImportFileError, ParsedFile, ParsedStatement, ParsedTransaction
from .text import decode_text, physical_lines

TRANSACTION_SECTIONS = {
    "bank": "checking",
    "ccard": "credit_card",
    "cash": "cash",
    "oth a": "other_asset",
    "oth l": "other_liability",
}
DECLARED_DATE_ORDERS = {"option:mdy": False, "option:dmy": True}  # the header line, and whether it is day-first
DATE_ORDER_NAMES = {"dmy": "day/month", "mdy": "month/day"}  # the preview's "date order"
TRANSFER_CATEGORY = "Transfers"
MIXED_SPLIT_CATEGORY = "Split"

_SLASHED_DATE = re.compile(r"(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*(['/.-])\s*(\d{1,4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_BANK_TRANSACTION_ID = re.compile(r"(?=.*\d)[A-Za-z0-9]{10,}")
_AMOUNT = re.compile(r"[+-]?(\d{1,3}([,' ]\d{3})+|\d+)(\.\d+)?")


@dataclass
class _Record:
    """One QIF record as read, before its date can be interpreted."""

    line: int
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)
    split_categories: list[str] = field(default_factory=list)
    split_memos: list[str] = field(default_factory=list)


@dataclass
class _Account:
    name: str | None
    account_type: str | None
    records: list[_Record] = field(default_factory=list)


def parse(data: bytes, date_order: str | None = None) -> ParsedFile:
    """``date_order`` ("dmy"/"mdy") settles dates that read both ways when the file itself does not."""
    text, encoding = decode_text(data)
    accounts, skipped_sections, declared_day_first = _read_accounts(text)
    records = [record for account in accounts for record in account.records]
    given_day_first = {"dmy": True, "mdy": False}.get(date_order or "")
    day_first = _day_first(records, given_day_first if declared_day_first is None else declared_day_first)
    statements = [_statement(account, day_first) for account in accounts if account.records]
    if not statements and accounts:
        statements = [ParsedStatement(account_id=accounts[0].name, account_type=accounts[0].account_type)]
    details = {
        "accounts": ", ".join(s.account_id or "(unnamed)" for s in statements),
        "transactions": str(sum(len(s.transactions) for s in statements)),
    }
    if any(_date_fields(record.fields.get("D", ("", 0))[0]) for record in records):  # ISO dates need no order
        details["date order"] = DATE_ORDER_NAMES["dmy" if day_first else "mdy"]
    if skipped_sections:
        details["skipped sections"] = ", ".join(sorted(skipped_sections))
    return ParsedFile(format="qif", statements=statements, encoding=encoding, details=details)


def _read_accounts(text: str) -> tuple[list[_Account], set[str], bool | None]:
    """The file's transaction records grouped by account, in the order accounts first appear; the sections
    skipped; whether an ``!Option`` line declares the dates day-first (None when none does)."""
    reader = _SectionReader()
    for number, raw_line in enumerate(physical_lines(text), start=1):
        reader.read(raw_line.strip(), number)
    reader.finish_record()
    if not reader.accounts:
        raise ImportFileError("no bank, cash or credit-card section in this QIF file", 1)
    return list(reader.accounts.values()), reader.skipped_sections, reader.declared_day_first


class _SectionReader:
    """Reads lines one by one, remembering the current section and ``!Account`` block."""

    def __init__(self) -> None:
        self.accounts: dict[str | None, _Account] = {}
        self.skipped_sections: set[str] = set()
        self.section: str | None = None  # "account", "skip", or a key of TRANSACTION_SECTIONS
        self.account_name: str | None = None
        self.account_type: str | None = None
        self.record: _Record | None = None
        self.declared_day_first: bool | None = None

    def read(self, line: str, number: int) -> None:
        if not line:
            return
        if line.startswith("!"):
            self.finish_record()
            self.start_section(line, number)
        elif self.section is None and line.startswith("#"):
            return
        elif self.section is None:
            raise ImportFileError("not a QIF file: expected a header such as !Type:Bank", number)
        elif not line.strip("^"):  # "^" ends a record; some writers end records with "^^"
            self.finish_record()
        elif self.section != "skip":
            self.record = self.record or _Record(line=number)
            _add_field(self.record, line[0], line[1:].strip(), number)

    def start_section(self, header: str, number: int) -> None:
        name = header[1:].strip().lower()
        kind = " ".join(name.removeprefix("type:").split())
        if name == "account":
            self.section, self.account_name, self.account_type = "account", None, None
        elif name.startswith("type:") and kind in TRANSACTION_SECTIONS:
            self.section = kind
            account_type = self.account_type or TRANSACTION_SECTIONS[kind]
            self.accounts.setdefault(self.account_name, _Account(self.account_name, account_type))
        else:
            self.section = "skip"
            self.skipped_sections.add(header[1:].strip())
            self.declared_day_first = DECLARED_DATE_ORDERS.get(name, self.declared_day_first)

    def finish_record(self) -> None:
        record, self.record = self.record, None
        if record is None:
            return
        if self.section == "account":
            self.account_name = record.fields.get("N", ("", 0))[0] or None
            written_type = " ".join(record.fields.get("T", ("", 0))[0].lower().split())
            self.account_type = TRANSACTION_SECTIONS.get(written_type, written_type or None)
        elif self.section in TRANSACTION_SECTIONS:
            self.accounts[self.account_name].records.append(record)


def _add_field(record: _Record, code: str, value: str, number: int) -> None:
    if code == "S":
        record.split_categories.append(value)
    elif code == "E":
        record.split_memos.append(value)
    elif code not in record.fields:
        record.fields[code] = (value, number)


def _statement(account: _Account, day_first: bool) -> ParsedStatement:
    numbers = Counter(r.fields["N"][0] for r in account.records if "N" in r.fields)
    transactions = [_transaction(record, day_first, numbers) for record in account.records]
    return ParsedStatement(transactions=transactions, account_id=account.name, account_type=account.account_type)


def _transaction(record: _Record, day_first: bool, numbers: Counter[str]) -> ParsedTransaction:
    if "D" not in record.fields:
        raise ImportFileError("transaction has no date (D line)", record.line)
    amount_field = record.fields.get("T") or record.fields.get("U")
    if amount_field is None:
        raise ImportFileError("transaction has no amount (T line)", record.line)
    number = record.fields.get("N", ("", 0))[0]
    is_bank_id = bool(_BANK_TRANSACTION_ID.fullmatch(number)) and numbers[number] == 1
    memo_parts = [record.fields.get("M", ("", 0))[0] or "; ".join(m for m in record.split_memos if m)]
    if number and not is_bank_id:
        memo_parts.append(f"#{number}")
    memo = "; ".join(part for part in memo_parts if part) or None
    payee = record.fields.get("P", ("", 0))[0]
    return ParsedTransaction(
        date=_parse_date(*record.fields["D"], day_first),
        amount=parse_amount(*amount_field),
        description=payee or record.fields.get("M", ("", 0))[0],
        line=record.line,
        external_id=number if is_bank_id else None,
        category=_category(record),
        memo=memo,
    )


def _category(record: _Record) -> str | None:
    categories = {_category_name(c) for c in record.split_categories if c}
    if len(categories) > 1:
        return MIXED_SPLIT_CATEGORY
    if categories:
        return categories.pop()
    return _category_name(record.fields.get("L", ("", 0))[0]) or None


def _category_name(written: str) -> str:
    """``[Savings]`` names the other account of a transfer; anything else is kept as written."""
    return TRANSFER_CATEGORY if written.startswith("[") else written


def parse_amount(text: str, line: int) -> Decimal:
    """``-1,234.56``, ``1'234.50``, ``1234``; a lone comma before 1-2 digits is a decimal comma."""
    compact = text.replace("$", "").strip()
    if re.fullmatch(r"[+-]?\d+,\d{1,2}", compact):
        compact = compact.replace(",", ".")
    if not _AMOUNT.fullmatch(compact):
        raise ImportFileError(f"unreadable amount {text!r}", line)
    return Decimal(re.sub(r"[,' ]", "", compact))


def _date_fields(text: str) -> tuple[int, int, int, str] | None:
    """(first, second, year, separator) of a slashed or dotted date, None for ISO dates."""
    match = _SLASHED_DATE.fullmatch(text)
    if not match:
        return None
    first, separator, second, year_separator, year = match.groups()
    return int(first), int(second), _full_year(year, year_separator), separator


def _full_year(year: str, separator: str) -> int:
    """Quicken's years: ``'25`` and ``' 0`` are 2025 and 2000 (its Y2K apostrophe), unless that is
    years ahead (``1/ 5'98`` is 1998); ``099`` counts from 1900 (1999); ``/98`` is taken near today."""
    number = int(year)
    if len(year) == 4:
        return number
    if len(year) == 3:
        return 1900 + number
    if separator == "'":
        return 2000 + number if 2000 + number <= date.today().year + 1 else 1900 + number
    return number + (2000 if number < 70 else 1900)


def _day_first(records: Iterable[_Record], declared: bool | None = None) -> bool:
    day_first_line = month_first_line = None
    dotted = False
    for record in records:
        text, line = record.fields.get("D", ("", 0))
        fields = _date_fields(text)
        if fields is None:
            continue
        first, second, _, separator = fields
        if first > 12 and second > 12:
            raise ImportFileError(f"impossible date {text!r}: neither {first} nor {second} is a month", line)
        dotted = dotted or separator == "."
        if first > 12 and day_first_line is None:
            day_first_line = line
        if second > 12 and month_first_line is None:
            month_first_line = line
    if day_first_line and month_first_line:
        raise ImportFileError(
            f"dates mix day-first (line {day_first_line}) and month-first (line {month_first_line}) order",
            max(day_first_line, month_first_line),
        )
    if day_first_line or month_first_line:
        return bool(day_first_line)
    return dotted if declared is None else declared


def _parse_date(text: str, line: int, day_first: bool) -> date:
    fields = _date_fields(text)
    try:
        if fields:
            first, second, year, _ = fields
            day, month = (first, second) if day_first else (second, first)
            return date(year, month, day)
        iso = _ISO_DATE.fullmatch(text)
        if iso:
            return date(*map(int, iso.groups()))
    except ValueError:
        raise ImportFileError(f"impossible date {text!r}", line) from None
    raise ImportFileError(f"unreadable date {text!r}", line)
