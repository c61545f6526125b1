"""A bank CSV's layout: its records, where its header is, and the :class:`ColumnMapping` saying which column
holds what.

A layout that stays open (no recognisable header and content that cannot be
assigned, or a date format that stays ambiguous) raises :class:`MappingNeeded`
instead of guessing; :class:`ColumnMapping` is the answer the user gives.
Detecting the mapping is csv_detection.py's.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple

from .csv_conventions import DATE_FORMATS, date_or_none, header_role
from .records import ImportFileError

HEADER_SEARCH_DEPTH = 30


class Record(NamedTuple):
    line: int  # physical line where the record starts
    cells: list[str]

    def cell(self, column: int | None) -> str:
        if column is None or column >= len(self.cells):
            return ""
        return self.cells[column].strip()


@dataclass(frozen=True)
class ColumnMapping:
    """Which column (counted from 0) holds what, and how its cells are written."""

    date_column: int
    date_format: str  # a key of csv_conventions.DATE_FORMATS, e.g. "DD/MM/YYYY"
    description_columns: tuple[int, ...] = ()
    amount_column: int | None = None
    debit_column: int | None = None  # money out, whatever sign it is written with
    credit_column: int | None = None  # money in
    memo_columns: tuple[int, ...] = ()
    balance_column: int | None = None
    currency_column: int | None = None
    id_column: int | None = None
    counterparty_column: int | None = None
    category_column: int | None = None
    status_column: int | None = None
    indicator_column: int | None = None  # C/D, Af/Bij...: the sign of an unsigned amount
    value_date_column: int | None = None  # next to a booking date, which is the transaction's date
    currency: str | None = None  # named by the amount's header ("Betrag (€)") when no column states one
    decimal_separator: str = "."
    negate: bool = False  # card exports that write purchases as positive
    has_header: bool = True

    def __post_init__(self) -> None:
        if self.date_format not in DATE_FORMATS:
            raise ValueError(f"unknown date format {self.date_format!r}")
        if self.decimal_separator not in (".", ","):
            raise ValueError(f"decimal separator must be '.' or ',', not {self.decimal_separator!r}")
        if (self.amount_column is None) == (self.debit_column is None and self.credit_column is None):
            raise ValueError("a mapping needs either an amount column or debit/credit columns")
        if not all(isinstance(c, int) and c >= 0 for c in self.columns()):
            raise ValueError("columns are numbered from 0")
        if self.currency is not None and not (len(self.currency) == 3 and self.currency.isalpha()):
            raise ValueError(f"currency must be a three-letter code, not {self.currency!r}")

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnMapping:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown mapping fields: {', '.join(sorted(unknown))}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    def columns(self) -> list[int]:
        return [*self.roles().values(), *self.description_columns, *self.memo_columns]

    def roles(self) -> dict[str, int]:
        """Each single-column role that is set, e.g. {"date": 0, "amount": 3}."""
        return {
            f.name.removesuffix("_column"): value
            for f in fields(self)
            if f.name.endswith("_column") and (value := getattr(self, f.name)) is not None
        }


class MappingNeeded(ImportFileError):
    """The file leaves a choice open: ask the user for a :class:`ColumnMapping`.

    ``columns`` are the header names (or "Column 1", ...), ``sample_rows`` the
    first data rows, ``guess`` the best mapping found (None when there is
    none) and ``date_formats`` the formats that all read every date.
    """

    def __init__(
        self,
        reason: str,
        columns: list[str],
        sample_rows: list[list[str]],
        guess: ColumnMapping | None,
        date_formats: list[str] | None = None,
    ):
        super().__init__(reason)
        self.columns = columns
        self.sample_rows = sample_rows
        self.guess = guess
        self.date_formats = date_formats or []


def header_position(records: list[Record]) -> int | None:
    """The first record that names a date column and an amount, debit or credit column."""
    for index, record in enumerate(records[:HEADER_SEARCH_DEPTH]):
        roles = {header_role(cell) for cell in record.cells}
        if roles & {"date", "value_date"} and roles & {"amount", "debit", "credit"}:
            return index
    return None


def table_start(records: list[Record]) -> int:
    """The first record at least as wide as most records: narrower lines above it are a preamble."""
    width = Counter(len(r.cells) for r in records).most_common(1)[0][0]
    return next(i for i, r in enumerate(records) if len(r.cells) >= width)


ASCII_DIGIT = re.compile("[0-9]")


def has_digit(text: str) -> bool:
    if text.isascii():  # the usual cell: a regular expression instead of a Python loop per character
        return ASCII_DIGIT.search(text) is not None
    return any(ch.isdigit() for ch in text)


def header_row(records: list[Record], named_header: int | None, mapping: ColumnMapping | None) -> int | None:
    """The header's index: a named one, or a first row without a single digit.

    With a mapping that expects a header (the default when a user writes one),
    a first row whose date cell reads as a date is data, not a header to drop.
    """
    if mapping is not None and not mapping.has_header:
        return None
    if named_header is not None:
        return named_header
    start = table_start(records)
    if mapping is not None:
        return None if date_or_none(records[start].cell(mapping.date_column), mapping.date_format) else start
    if len(records) > start + 1 and not any(map(has_digit, records[start].cells)):
        return start
    return None


def column_names(header: list[str], width: int) -> list[str]:
    """The columns' names; a name the header repeats is numbered ("Betrag", "Betrag (2)") so the two stay apart."""
    named = [" ".join(cell.split()) for cell in header] + [""] * (width - len(header))
    seen: Counter[str] = Counter()
    names = []
    for number, name in enumerate(named, start=1):
        name = name or f"Column {number}"
        seen[name] += 1
        names.append(f"{name} ({seen[name]})" if seen[name] > 1 else name)
    return names


def described_columns(mapping: ColumnMapping) -> list[tuple[str, int]]:
    described = [("description", c) for c in mapping.description_columns]
    described += [("memo", c) for c in mapping.memo_columns]
    return sorted([*mapping.roles().items(), *described], key=lambda pair: pair[1])
