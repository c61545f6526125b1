"""Bank CSV exports, read without configuration wherever the file allows it.

The layout (encoding, delimiter, header row, which column is what, the date
format and the decimal separator) is detected from a sample of the records
and checked against the rest (see csv_detection.py): the file is split by one
delimiter, and each cell is parsed once when its row is read. When the
file leaves a real choice open, :class:`MappingNeeded` says so instead of
guessing; the app stores the user's :class:`ColumnMapping` per account and
passes it back to :func:`parse`. Column numbers in a mapping count from 0.
A file larger than STREAM_SAMPLE_CHARACTERS, given open (``flask import``),
streams instead (:func:`parse_stream`): memory is then bounded, not the file's.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from typing import BinaryIO, NamedTuple

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
from .text import BYTE_ORDER_MARKS, encoding_of

__all__ = ["ColumnMapping", "MappingNeeded", "parse", "parse_stream"]

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
DELIMITER_SAMPLE = 200  # records that decide the delimiter
STREAM_SAMPLE_CHARACTERS = 256 * 1024  # a larger file streams; its first records up to this decide the layout
STREAM_PIECE_BYTES = 1 << 20
NOT_TEXT = "the file is not text: it is neither UTF-8, UTF-16 nor Windows-1252"
BINARY = "the file is not text (binary data); export it from the bank as CSV"
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
    layout = Layout.of(records, mapping, date_order)
    statement, skipped, shifted = statement_from_rows(layout.rows, layout.mapping, layout.names)
    days = [t.date for t in statement.transactions]
    return parsed_csv(statement, skipped, shifted, layout, records, date_order if mapping is None else None,
                      encoding, delimiter, (min(days), max(days)) if days else None)


class Layout(NamedTuple):
    """Where a CSV's table is and how it reads: its header's index (None without one), the rows after it,
    the columns' names and the mapping, given or detected from ``records``."""

    header_index: int | None
    rows: list[Record]
    names: list[str]
    mapping: ColumnMapping

    @classmethod
    def of(cls, records: list[Record], mapping: ColumnMapping | None, date_order: str | None) -> Layout:
        named_header = header_position(records)
        header_index = header_row(records, named_header, mapping)
        rows = records[header_index + 1 :] if header_index is not None else records[table_start(records) :]
        header = records[header_index].cells if header_index is not None else []
        names = column_names(header, max(len(r.cells) for r in records))
        if mapping is None:
            try:
                if named_header is not None:
                    mapping = mapping_from_header(names, rows, date_order)
                else:
                    mapping = mapping_from_content(names, rows, header_index is not None, date_order)
            except MappingNeeded as needed:
                fails_whatever_the_answer(needed, rows, names)
                raise
        elif max(mapping.columns()) >= len(names):
            raise ImportFileError(f"the mapping uses column {max(mapping.columns()) + 1}; the file has {len(names)}")
        return cls(header_index, rows, names, mapping)


def parsed_csv(statement: ParsedStatement, skipped: list[Record], shifted: list[int], layout: Layout,
               records: list[Record], detected_order: str | None, encoding: str, delimiter: str,
               days: tuple[date, date] | None) -> ParsedFile:
    """The parsed file: the statement with the balances stated around its rows, and the details the preview shows.

    ``records`` are the file's first records (its preamble and header among them); ``days`` the first and
    last day of the statement's rows; ``detected_order`` the date order the mapping was detected with,
    which the import then remembers on the account.
    """
    mapping, names, header_index = layout.mapping, layout.names, layout.header_index
    preamble = records[:header_index] if header_index else []
    stated_in_table_rows(statement, skipped, mapping, days)
    stated_line = take_preamble_balance(statement, preamble, mapping, days[1] if days else None)
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
    settled = detected_order is not None and date_order_of(mapping.date_format) == detected_order
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


def take_preamble_balance(statement: ParsedStatement, preamble: list[Record], mapping: ColumnMapping,
                          last_day: date | None) -> int | None:
    """Give a statement without a balance column the balance stated above the header; its line, or None.

    It stands as of the date its label names, else the latest transaction's.
    """
    stated = preamble_balance(preamble, mapping) if statement.ledger_balance is None else None
    if stated is None:
        return None
    line, as_of, amount = stated
    as_of = as_of or last_day
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
        raise ImportFileError(NOT_TEXT) from None
    if not text.strip():
        raise ImportFileError("the file is empty")
    control = len(text) - len(text.translate(CONTROL_CHARACTERS))  # str.translate drops each one
    if "\x00" in text or control > len(text) / 100:
        raise ImportFileError(BINARY)
    return text, encoding


def records_with(text: str, delimiter: str, limit: int | None = None) -> list[Record]:
    """The non-blank records (the first ``limit`` of them, when given), each with the physical line it starts on."""
    return list(islice(reader_records(io.StringIO(text, newline=""), delimiter), limit))


def reader_records(lines: Iterable[str], delimiter: str) -> Iterator[Record]:
    """The non-blank records of the text's lines (line endings kept), one at a time, each with its first line."""
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield Record(start, cells)
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(f"unreadable CSV: {error}", start) from None
    except UnicodeDecodeError:
        raise ImportFileError(NOT_TEXT) from None


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


# A large file, streamed

def parse_stream(file: BinaryIO, mapping: ColumnMapping | None = None, date_order: str | None = None) -> ParsedFile:
    """:func:`parse` for a file larger than STREAM_SAMPLE_CHARACTERS, read in pieces instead of held.

    Its bytes decide the encoding; its first records (up to STREAM_SAMPLE_CHARACTERS) the delimiter, header
    and mapping, as :func:`parse` decides them from a whole file; then every row is read under that layout,
    so that a row that breaks it refuses the file with its line before anything is written, and the counts
    and stated balances are settled. The statement's transactions are then parsed afresh on each pass over
    them (:class:`StreamedRows`): memory is bounded by the sample and a chunk, not by the file.
    """
    encoding = streamed_encoding(file)
    with text_of(file, encoding) as text:
        try:
            head = text.read(STREAM_SAMPLE_CHARACTERS)
        except UnicodeDecodeError:
            raise ImportFileError(NOT_TEXT) from None
    sample = head[: head.rfind("\n") + 1] or head
    if not sample.strip():
        raise ImportFileError("the file is empty")
    delimiter, records = split_records(sample)
    layout = Layout.of(records, mapping, date_order)
    rows = StreamedRows(file, encoding, delimiter, len(records) - len(layout.rows), layout)
    skipped: list[Record] = []
    shifted: list[int] = []
    totals = RowTotals()
    for transaction in rows.transactions(skipped, shifted, checked=True):
        totals.add(transaction)
    rows.count = totals.count
    statement = ParsedStatement(transactions=rows, rows_in_date_order=totals.in_date_order)
    totals.settle(statement)
    return parsed_csv(statement, skipped, shifted, layout, records, date_order if mapping is None else None,
                      encoding, delimiter, (totals.first_day, totals.last_day) if totals.count else None)


class StreamedRows:
    """A streamed file's transactions: read from the file and parsed afresh on each pass, never held."""

    def __init__(self, file: BinaryIO, encoding: str, delimiter: str, skip: int, layout: Layout):
        self.file, self.encoding, self.delimiter, self.skip = file, encoding, delimiter, skip
        self.mapping, self.names = layout.mapping, layout.names
        self.count = 0  # known after the first pass

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[ParsedTransaction]:
        return self.transactions([], [])

    def transactions(self, skipped: list[Record], shifted: list[int], checked: bool = False
                     ) -> Iterator[ParsedTransaction]:
        """The rows' transactions (see :func:`statement_rows`); ``checked`` refuses binary text at the end."""
        with text_of(self.file, self.encoding) as text:
            lines = text_lines(text) if checked else text
            records = islice(reader_records(lines, self.delimiter), self.skip, None)
            yield from statement_rows(records, self.mapping, self.names, skipped, shifted)


def streamed_encoding(file: BinaryIO) -> str:
    """The encoding :func:`decoded` reads the file with (see :func:`.text.encoding_of`), from its bytes in pieces."""
    file.seek(0)
    head = file.read(len(codecs.BOM_UTF8))
    marked = next((encoding for mark, encoding in BYTE_ORDER_MARKS if head.startswith(mark)), None)
    if marked:
        return marked
    file.seek(0)
    utf8 = codecs.getincrementaldecoder("utf-8")()
    valid, windows_letters = True, False
    while piece := file.read(STREAM_PIECE_BYTES):
        windows_letters = windows_letters or WINDOWS_1252_LETTERS.search(piece) is not None
        if valid:
            try:
                utf8.decode(piece)
            except UnicodeDecodeError:
                valid = False
    try:
        utf8.decode(b"", final=True)
    except UnicodeDecodeError:
        valid = False
    return "utf-8" if valid else "windows-1252" if windows_letters else "iso-8859-1"


@contextmanager
def text_of(file: BinaryIO, encoding: str) -> Iterator[io.TextIOWrapper]:
    """The file's text from its start, lines read as the csv module wants them; the file stays open after."""
    file.seek(0)
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        yield text
    finally:
        text.detach()


def text_lines(text: Iterable[str]) -> Iterator[str]:
    """The lines, then the refusal :func:`decoded` gives a file that is binary (NULs, or many control characters)."""
    length = control = 0
    for line in text:
        length += len(line)
        control += len(line) - len(line.translate(CONTROL_CHARACTERS))
        if "\x00" in line:
            raise ImportFileError(BINARY)
        yield line
    if control > length / 100:
        raise ImportFileError(BINARY)


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


def statement_rows(rows: Iterable[Record], mapping: ColumnMapping, names: list[str],
                   skipped: list[Record], shifted: list[int]) -> Iterator[ParsedTransaction]:
    """The rows' transactions, one at a time; rows that are not one (totals, balances) go to ``skipped``,
    the lines of short rows realigned to ``shifted``."""
    for record in rows:
        transaction = row_transaction(record, mapping, names)
        if transaction is None and (fixed := realigned(record, mapping, names)) is not None:
            record, transaction = fixed, row_transaction(fixed, mapping, names)
            shifted.append(record.line)
        if transaction is None:
            skipped.append(record)
            continue
        balance = cell_amount(record, mapping.balance_column, mapping, names)
        yield transaction if balance is None else replace(transaction, balance=balance)


def statement_from_rows(
    rows: list[Record], mapping: ColumnMapping, names: list[str]
) -> tuple[ParsedStatement, list[Record], list[int]]:
    """The statement, the rows skipped as not being transactions (totals, balances) and the lines realigned."""
    statement = ParsedStatement()
    skipped: list[Record] = []
    shifted: list[int] = []
    totals = RowTotals()
    for transaction in statement_rows(rows, mapping, names, skipped, shifted):
        totals.add(transaction)
        statement.transactions.append(transaction)
    totals.settle(statement)
    return statement, skipped, shifted


class RowTotals:
    """What a statement's rows settle, gathered a row at a time so that a streamed file is never held whole:
    their count, first and last day, whether they run in date order, the statement's currency and the
    balance after the last transaction on the latest date.

    Files run oldest first or newest first; within the latest day, the last
    transaction is the last row of an oldest-first file and the first row of
    a newest-first one. When the dates do not tell (every balance on one day),
    the running balances do: in a newest-first file each row's balance is the
    next row's plus its own amount.
    """

    def __init__(self) -> None:
        self.count = 0
        self.first_day: date | None = None
        self.last_day: date | None = None
        self.in_date_order = True
        self.currencies: set[str | None] = set()
        self._previous_day: date | None = None
        self._direction = 0  # +1 oldest first, -1 newest first, 0 not yet told
        self._first_balance_day: date | None = None
        self._last_balance_day: date | None = None
        self._latest: tuple[date, Decimal, Decimal] | None = None  # latest day, its first and last balance
        self._previous_balanced: ParsedTransaction | None = None
        self._chained = 0
        self._chain_holds = True

    def add(self, transaction: ParsedTransaction) -> None:
        day = transaction.date
        self.count += 1
        self.currencies.add(transaction.currency)
        self.first_day = day if self.first_day is None else min(self.first_day, day)
        self.last_day = day if self.last_day is None else max(self.last_day, day)
        if self._previous_day is not None and day != self._previous_day:
            step = 1 if day > self._previous_day else -1
            self.in_date_order = self.in_date_order and self._direction in (0, step)
            self._direction = self._direction or step
        self._previous_day = day
        balance = transaction.balance
        if balance is None:
            return
        self._first_balance_day = self._first_balance_day or day
        self._last_balance_day = day
        if self._latest is None or day > self._latest[0]:
            self._latest = (day, balance, balance)
        elif day == self._latest[0]:
            self._latest = (day, self._latest[1], balance)
        newer = self._previous_balanced
        if newer is not None and newer.balance != balance + newer.amount:
            self._chain_holds = False
        self._previous_balanced = transaction
        self._chained += 1

    def settle(self, statement: ParsedStatement) -> None:
        """Give the statement its stated balance and currency, as its rows show them."""
        if self._latest is not None:
            first, last = self._first_balance_day, self._last_balance_day
            newest_first = first > last if first != last else self._chained > 1 and self._chain_holds
            latest, on_latest_first, on_latest_last = self._latest
            statement.ledger_balance = on_latest_first if newest_first else on_latest_last
            statement.balance_as_of = datetime.combine(latest, time())
        if len(self.currencies) == 1:
            statement.currency = next(iter(self.currencies))


# Balance rows that open a statement (the rest close one). Folded to plain lowercase.
OPENING_ROW_PREFIXES = (
    "saldo anterior", "saldo inicial", "saldo iniziale", "saldo precedente", "opening balance",
    "balance brought forward", "brought forward", "solde initial", "solde precedent", "ancien solde",
    "anfangssaldo", "alter kontostand", "beginsaldo", "startsaldo", "ingaende saldo", "indgaende saldo",
)
def stated_in_table_rows(statement: ParsedStatement, skipped: list[Record], mapping: ColumnMapping,
                         days: tuple[date, date] | None) -> None:
    """Balances the table states in rows of their own ("Balance brought forward" with its amount).

    An opening balance stands before the first transaction's day; a closing one (kept only when no balance
    column stated one) after the last. Text that does not read as an amount is left alone: these rows are
    not transactions, so they never make a file fail. A balance above the header is
    :func:`take_preamble_balance`'s.
    """
    if days is None:
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
            statement.opening_balance, statement.opening_date = amount, days[0]
        elif not opening and statement.ledger_balance is None:
            statement.ledger_balance, statement.balance_as_of = amount, datetime.combine(days[1], time())


def _first_amount(cells: list[str], decimal_separator: str) -> Decimal | None:
    for cell in cells:
        try:
            amount = parse_amount(cell, decimal_separator)
        except ValueError:
            continue
        if amount is not None:
            return amount
    return None
