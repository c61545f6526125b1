"""Bank CSV exports, read without configuration wherever the file allows it.

The layout (encoding, delimiter, header row, which column is what, the date
format and the decimal separator) is detected from a sample of the records
and checked against the rest (see csv_detection.py): the file is split by one
delimiter, and each cell is parsed once when its row is read. When the
file leaves a real choice open, :class:`MappingNeeded` says so instead of
guessing; the app stores the user's :class:`ColumnMapping` per account and
passes it back to :func:`parse`. Column numbers in a mapping count from 0.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal

from .csv_conventions import (
    BALANCE_ROW_PREFIXES,
    PREAMBLE_BALANCE_LABELS,
    combined_amount,
    date_or_none,
    date_order_of,
    decimal_separator_votes,
    fitting_date_formats,
    folded_text,
    indicator_sign,
    is_balance_row,
    is_pending,
    parse_amount,
    parse_date,
)
from .csv_layout import (
    ColumnMapping,
    MappingNeeded,
    Record,
    column_names,
    described_columns,
    has_digit,
    header_position,
    header_row,
    table_start,
)
from .csv_detection import mapping_from_content, mapping_from_header
from .records import PENDING, POSTED, ImportFileError, ParsedFile, ParsedStatement, ParsedTransaction
from .text import encoding_of

__all__ = ["ColumnMapping", "MappingNeeded", "parse"]

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
DELIMITER_SAMPLE = 200  # records that decide the delimiter
WINDOWS_1252_LETTERS = re.compile(rb"[\x80-\x9f]")
# Control characters (Unicode category Cc) other than tab and the newlines: their count says "binary".
CONTROL_CHARACTERS = dict.fromkeys((set(range(0x20)) | set(range(0x7F, 0xA0))) - {0x09, 0x0A, 0x0D})


def parse(data: bytes, mapping: ColumnMapping | None = None, date_order: str | None = None) -> ParsedFile:
    """The transactions in a bank CSV export, laid out as ``mapping`` says or as detected.

    ``date_order`` ("dmy" or "mdy") settles dates that read both ways. When the
    file still leaves the date format open, but a row fails under every
    candidate (a bad amount on line 3), that row's error is raised instead of
    the question: no answer would import the file.
    """
    text, encoding = decoded(data)
    delimiter, records = split_records(text)
    named_header = header_position(records)
    header_index = header_row(records, named_header, mapping)
    rows = records[header_index + 1 :] if header_index is not None else records[table_start(records) :]
    header = records[header_index].cells if header_index is not None else []
    names = column_names(header, max(len(r.cells) for r in records))
    has_header = header_index is not None
    detected = mapping is None
    if mapping is None:
        try:
            if named_header is not None:
                mapping = mapping_from_header(names, rows, date_order)
            else:
                mapping = mapping_from_content(names, rows, has_header, date_order)
        except MappingNeeded as needed:
            fails_whatever_the_answer(needed, rows, names)
            raise
    elif max(mapping.columns()) >= len(names):
        raise ImportFileError(f"the mapping uses column {max(mapping.columns()) + 1}; the file has {len(names)}")
    statement, skipped, shifted = statement_from_rows(rows, mapping, names)
    stated_in_table_rows(statement, skipped, mapping)
    stated_line = take_preamble_balance(statement, records[:header_index] if header_index else [], mapping)
    details = {
        "encoding": encoding,
        "delimiter": DELIMITERS[delimiter],
        "header_line": str(records[header_index].line) if header_index is not None else "none",
        "columns": ", ".join(f"{role}: {names[column]}" for role, column in described_columns(mapping)),
        "date_format": mapping.date_format,
        "decimal_separator": "comma" if mapping.decimal_separator == "," else "point",
    }
    if mapping.negate:
        details["signs"] = "inverted: money out is written as positive"
    if skipped:
        details["skipped_rows"] = "; ".join(f'line {r.line} "{row_summary(r)}"' for r in skipped)
    if shifted:
        details["short_rows_realigned"] = ", ".join(f"line {line}" for line in shifted)
    if stated_line is not None:
        details["stated_balance"] = f"{statement.ledger_balance} on line {stated_line}"
    settled = detected and date_order is not None and date_order_of(mapping.date_format) == date_order
    return ParsedFile(format="csv", statements=[statement], encoding=encoding, details=details,
                      settled_mapping=mapping if settled else None)


STATED_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")


def preamble_balance(preamble: list[Record], mapping: ColumnMapping) -> tuple[int, date | None, Decimal] | None:
    """A balance stated above the header: its line, the date its label names (if any) and the amount.

    DKB writes ``"Kontostand vom 09.12.2025:";"4.093,32 €"``, ING ``Saldo;66.331,90;EUR``.
    """
    for record in preamble:
        label = folded_text(record.cell(0)).rstrip(":").strip()
        if not any(label == word or label.startswith(word + " ") for word in PREAMBLE_BALANCE_LABELS):
            continue
        for column in range(1, len(record.cells)):
            cell = record.cell(column)
            votes = decimal_separator_votes([cell])
            separator = max(votes, key=votes.get) if any(votes.values()) else mapping.decimal_separator
            try:
                amount = parse_amount(cell, separator)
            except ValueError:
                continue
            if amount is not None:
                return record.line, stated_date(label, mapping), amount
    return None


def take_preamble_balance(statement: ParsedStatement, preamble: list[Record], mapping: ColumnMapping) -> int | None:
    """Give a statement without a balance column the balance stated above the header; its line, or None.

    It stands as of the date its label names, else the latest transaction's.
    """
    stated = preamble_balance(preamble, mapping) if statement.ledger_balance is None else None
    if stated is None:
        return None
    line, as_of, amount = stated
    as_of = as_of or max((t.date for t in statement.transactions), default=None)
    if as_of is None:
        return None
    statement.ledger_balance, statement.balance_as_of = amount, datetime.combine(as_of, time())
    return line


def stated_date(label: str, mapping: ColumnMapping) -> date | None:
    """The date in a balance's label, read in the order of the file's own dates."""
    found = STATED_DATE.search(label)
    if not found:
        return None
    formats, _ = fitting_date_formats([found.group()])
    same_order = [f for f in formats if date_order_of(f) == date_order_of(mapping.date_format)]
    return date_or_none(found.group(), (same_order or formats or [mapping.date_format])[0])


def row_summary(record: Record, width: int = 60) -> str:
    """A skipped row as the preview lists it: its non-empty cells ("Summe -1.234,56"), cut to ``width``."""
    text = " ".join(cell.strip() for cell in record.cells if cell.strip())
    return text if len(text) <= width else text[: width - 1] + "…"


def fails_whatever_the_answer(needed: MappingNeeded, rows: list[Record], names: list[str]) -> None:
    """Raise the first row error when the guessed mapping fails under every date format still in question."""
    if needed.guess is None or not needed.date_formats:
        return
    errors = []
    for date_format in needed.date_formats:
        try:
            statement_from_rows(rows, replace(needed.guess, date_format=date_format), names)
        except ImportFileError as error:
            errors.append(error)
        else:
            return
    raise min(errors, key=lambda error: error.line or 0)


# Reading the file into records

def decoded(data: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was read with.

    Among the encodings banks use the bytes decide alone (see
    :func:`.text.encoding_of`); bytes that are not UTF-8 are Windows-1252 when
    bytes 0x80-0x9F (its extra letters) occur, else ISO-8859-1. (charset-normalizer guesses cp1250 for short Portuguese
    exports, which is why it is not asked.)
    """
    if not data.strip():
        raise ImportFileError("the file is empty")
    legacy = "windows-1252" if WINDOWS_1252_LETTERS.search(data) else "iso-8859-1"
    encoding = encoding_of(data, legacy)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ImportFileError("the file is not text: it is neither UTF-8, UTF-16 nor Windows-1252") from None
    if not text.strip():
        raise ImportFileError("the file is empty")
    control = len(text) - len(text.translate(CONTROL_CHARACTERS))  # str.translate drops each one
    if "\x00" in text or control > len(text) / 100:
        raise ImportFileError("the file is not text (binary data); export it from the bank as CSV")
    return text, encoding


def records_with(text: str, delimiter: str, limit: int | None = None) -> list[Record]:
    """The non-blank records (the first ``limit`` of them, when given), each with the physical line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[Record] = []
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append(Record(start, cells))
                if len(records) == limit:
                    break
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(f"unreadable CSV: {error}", start) from None
    return records


def split_records(text: str) -> tuple[str, list[Record]]:
    """The delimiter that lays the file out as a table, and the records it gives.

    Decided on the first DELIMITER_SAMPLE records: a delimiter under which a
    known header appears wins; otherwise the one that gives the most rows of
    the same width, then the widest rows. Only that delimiter then reads the
    whole file, which so is split once instead of once per delimiter.
    """
    scores = {}
    for delimiter in DELIMITERS:
        records = records_with(text, delimiter, DELIMITER_SAMPLE)
        widths = Counter(len(r.cells) for r in records)
        width, count = widths.most_common(1)[0]
        if width > 1:
            scores[delimiter] = (header_position(records) is not None, count, width)
    if not scores:
        raise ImportFileError("no columns found: the file is not separated by commas, semicolons, tabs or pipes")
    delimiter = max(scores, key=scores.get)
    return delimiter, records_with(text, delimiter)


# From rows to transactions

def cell_amount(
    record: Record, column: int | None, mapping: ColumnMapping, names: list[str]
) -> Decimal | None:
    if column is None:
        return None
    try:
        return parse_amount(record.cell(column), mapping.decimal_separator)
    except ValueError:
        reason = f'"{record.cell(column)}" in column {names[column]} is not an amount'
        raise ImportFileError(reason, record.line) from None


def row_amount(record: Record, mapping: ColumnMapping, names: list[str]) -> Decimal | None:
    if mapping.amount_column is not None:
        amount = cell_amount(record, mapping.amount_column, mapping, names)
    else:
        amount = combined_amount(cell_amount(record, mapping.debit_column, mapping, names),
                                 cell_amount(record, mapping.credit_column, mapping, names))
    if amount is not None and mapping.indicator_column is not None:
        sign = indicator_sign(record.cell(mapping.indicator_column))
        if sign is None:
            reason = f'"{record.cell(mapping.indicator_column)}" in column {names[mapping.indicator_column]} ' \
                     "is neither a credit nor a debit indicator"
            raise ImportFileError(reason, record.line)
        amount = sign * abs(amount)
    return -amount if amount is not None and mapping.negate else amount


def joined_text(record: Record, columns: tuple[int, ...]) -> str:
    parts: list[str] = []
    for column in columns:
        text = " ".join(record.cell(column).split())
        if text and text not in parts:
            parts.append(text)
    return " ".join(parts)


def row_transaction(record: Record, mapping: ColumnMapping, names: list[str]) -> ParsedTransaction | None:
    """The row's transaction; None for rows that are not one (no date, no amount, a balance or total)."""
    date_cell = record.cell(mapping.date_column)
    description = joined_text(record, mapping.description_columns)
    memo = joined_text(record, mapping.memo_columns)
    if not description or memo == description:
        description, memo = description or memo, ""
    if not has_digit(date_cell) or is_balance_row(description) or is_balance_row(memo):
        return None
    try:
        day = parse_date(date_cell, mapping.date_format)
    except ValueError:
        raise ImportFileError(f'"{date_cell}" is not a date in {mapping.date_format}', record.line) from None
    amount = row_amount(record, mapping, names)
    if amount is None:
        return None
    currency = record.cell(mapping.currency_column).upper() or mapping.currency or ""
    return ParsedTransaction(
        date=day,
        amount=amount,
        description=description,
        line=record.line,
        external_id=record.cell(mapping.id_column) or None,
        counterparty=joined_text(record, (mapping.counterparty_column,)) or None,
        category=joined_text(record, (mapping.category_column,)) or None,
        status=PENDING if is_pending(record.cell(mapping.status_column)) else POSTED,
        currency=currency if len(currency) == 3 and currency.isalpha() else None,
        memo=memo or None,
    )


def realigned(record: Record, mapping: ColumnMapping, names: list[str]) -> Record | None:
    """A row that is short of the header's cells, with the missing cells put back where its amount then reads.

    A bank that drops an empty cell mid-row (ING's Rente rows lack the
    Buchungstext) shifts the amount into the currency column. The gap is
    looked for from the right, after the date; None when no place reads.
    """
    missing = len(names) - len(record.cells)
    if missing <= 0:
        return None
    for gap in range(len(record.cells) - 1, mapping.date_column, -1):
        candidate = Record(record.line, [*record.cells[:gap], *[""] * missing, *record.cells[gap:]])
        currency = candidate.cell(mapping.currency_column)
        if currency and not (len(currency) == 3 and currency.isalpha()):
            continue
        try:
            if row_transaction(candidate, mapping, names) is not None:
                return candidate
        except ImportFileError:
            continue
    return None


def statement_from_rows(
    rows: list[Record], mapping: ColumnMapping, names: list[str]
) -> tuple[ParsedStatement, list[Record], list[int]]:
    """The statement, the rows skipped as not being transactions (totals, balances) and the lines realigned."""
    statement = ParsedStatement()
    skipped: list[Record] = []
    shifted: list[int] = []
    balances: list[tuple[date, Decimal]] = []
    for record in rows:
        transaction = row_transaction(record, mapping, names)
        if transaction is None and (fixed := realigned(record, mapping, names)) is not None:
            record, transaction = fixed, row_transaction(fixed, mapping, names)
            shifted.append(record.line)
        if transaction is None:
            skipped.append(record)
            continue
        balance = cell_amount(record, mapping.balance_column, mapping, names)
        if balance is not None:
            balances.append((transaction.date, balance))
            transaction = replace(transaction, balance=balance)
        statement.transactions.append(transaction)
    if balances:
        as_of, statement.ledger_balance = latest_balance(balances, statement.transactions)
        statement.balance_as_of = datetime.combine(as_of, time())
    currencies = {t.currency for t in statement.transactions}
    if len(currencies) == 1:
        statement.currency = currencies.pop()
    return statement, skipped, shifted


def latest_balance(balances: list[tuple[date, Decimal]],
                   transactions: list[ParsedTransaction]) -> tuple[date, Decimal]:
    """The balance after the last transaction on the latest date.

    Files run oldest first or newest first; within the latest day, the last
    transaction is the last row of an oldest-first file and the first row of
    a newest-first one. When the dates do not tell (every row on one day), the
    running balances do: in a newest-first file each row's balance is the next
    row's plus its own amount.
    """
    latest = max(day for day, _ in balances)
    on_latest = [balance for day, balance in balances if day == latest]
    newest_first = balances[0][0] > balances[-1][0]
    if balances[0][0] == balances[-1][0]:
        chained = [t for t in transactions if t.balance is not None]
        newest_first = len(chained) > 1 and all(
            newer.balance == older.balance + newer.amount for newer, older in zip(chained, chained[1:]))
    return latest, on_latest[0] if newest_first else on_latest[-1]


# Balance rows that open a statement (the rest close one). Folded to plain lowercase.
OPENING_ROW_PREFIXES = (
    "saldo anterior", "saldo inicial", "saldo iniziale", "saldo precedente", "opening balance",
    "balance brought forward", "brought forward", "solde initial", "solde precedent", "ancien solde",
    "anfangssaldo", "alter kontostand", "beginsaldo", "startsaldo", "ingaende saldo", "indgaende saldo",
)
def stated_in_table_rows(statement: ParsedStatement, skipped: list[Record], mapping: ColumnMapping) -> None:
    """Balances the table states in rows of their own ("Balance brought forward" with its amount).

    An opening balance stands before the first transaction's day; a closing one (kept only when no balance
    column stated one) after the last. Text that does not read as an amount is left alone: these rows are
    not transactions, so they never make a file fail. A balance above the header is
    :func:`take_preamble_balance`'s.
    """
    days = [t.date for t in statement.transactions]
    if not days:
        return
    for record in skipped:
        label = folded_text(joined_text(record, mapping.description_columns))
        opening = label.startswith(OPENING_ROW_PREFIXES)
        if not (opening or label.startswith(BALANCE_ROW_PREFIXES)):
            continue
        cells = [record.cell(c) for c in (mapping.balance_column, mapping.amount_column, mapping.credit_column,
                                           mapping.debit_column) if c is not None]
        amount = _first_amount(cells, mapping.decimal_separator)
        if amount is None:
            continue
        if opening and statement.opening_balance is None:
            statement.opening_balance, statement.opening_date = amount, min(days)
        elif not opening and statement.ledger_balance is None:
            statement.ledger_balance, statement.balance_as_of = amount, datetime.combine(max(days), time())


def _first_amount(cells: list[str], decimal_separator: str) -> Decimal | None:
    for cell in cells:
        try:
            amount = parse_amount(cell, decimal_separator)
        except ValueError:
            continue
        if amount is not None:
            return amount
    return None
