"""Which column of a bank CSV holds what: the header names, or the content when there is no header.

A layout that stays open (no recognisable header and content that cannot be
assigned, or a date format that stays ambiguous) raises :class:`MappingNeeded`
instead of guessing; :class:`ColumnMapping` is the answer the user gives.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal
from typing import Any, NamedTuple

from .csv_conventions import (
    CREDIT_WORDS,
    DATE_FORMATS,
    DEBIT_WORDS,
    STATUS_WORDS,
    date_or_none,
    decided_decimal_separator,
    fitting_date_formats,
    in_date_order,
    is_indicator_column,
    folded_text,
    combined_amount,
    has_currency_mark,
    header_currency,
    header_role,
    parse_amount,
)
from .records import ImportFileError

HEADER_SEARCH_DEPTH = 30
SAMPLE_SIZE = 5
DETECTION_SAMPLE_SIZE = 200


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


def has_digit(text: str) -> bool:
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


# Detecting the mapping

def sample_rows(rows: list[Record]) -> list[list[str]]:
    return [list(r.cells) for r in rows[:SAMPLE_SIZE]]


def first(columns: list[int]) -> int | None:
    return columns[0] if columns else None


def varying(columns: list[int], rows: list[Record]) -> list[int]:
    """Drop text columns that say the same on every row ("Compte personnel UBS"), when others remain."""
    if len(rows) < 2:
        return columns
    kept = [c for c in columns if len({r.cell(c) for r in rows}) > 1]
    return kept or columns


def unique_id_column(columns: list[int], rows: list[Record]) -> int | None:
    """An id column whose values never repeat: a reference that repeats is not a transaction id."""
    for column in columns:
        values = [r.cell(column) for r in rows if r.cell(column)]
        if values and len(set(values)) == len(values):
            return column
    return None


def status_column(named: list[int], generic: list[int], rows: list[Record]) -> int | None:
    """A column named as the status, else a generically named one ("Info") whose every cell is a status."""
    if named:
        return named[0]
    return next((c for c in generic if rows and all(folded_text(r.cell(c)) in STATUS_WORDS for r in rows)), None)


def currency_column(columns: list[int], rows: list[Record]) -> int | None:
    for column in columns:
        if all(len(v) == 3 and v.isalpha() for r in rows if (v := r.cell(column))):
            return column
    return None


def text_roles(description: list[int], memo: list[int], counterparty: int | None) -> dict[str, Any]:
    """A payee column becomes the description, the descriptive text then goes to the memo."""
    if counterparty is not None:
        return {"description_columns": (counterparty,), "memo_columns": (*description, *memo),
                "counterparty_column": counterparty}
    if description:
        return {"description_columns": tuple(description), "memo_columns": tuple(memo)}
    return {"description_columns": tuple(memo)}


def mapping_from_header(names: list[str], rows: list[Record], date_order: str | None = None) -> ColumnMapping:
    by_role: dict[str, list[int]] = {}
    for column, name in enumerate(names):
        if role := header_role(name):
            by_role.setdefault(role, []).append(column)
    booking_date, value_date = first(by_role.get("date", [])), first(by_role.get("value_date", []))
    date_column = value_date if booking_date is None else booking_date
    rows = [r for r in rows if has_digit(r.cell(date_column))]
    money_names = [names[c] for role in ("amount", "debit", "credit") for c in by_role.get(role, [])]
    draft: dict[str, Any] = {
        "date_column": date_column,
        "value_date_column": value_date if booking_date is not None else None,
        "currency": next((code for name in money_names if (code := header_currency(name))), None),
        **text_roles(varying(by_role.get("description", []), rows), by_role.get("memo", []),
                     first(by_role.get("counterparty", []))),
        "balance_column": first(by_role.get("balance", [])),
        "currency_column": currency_column(by_role.get("currency", []), rows),
        "id_column": unique_id_column(by_role.get("id", []), rows),
        "category_column": first(by_role.get("category", [])),
        "status_column": status_column(by_role.get("status", []), by_role.get("status_note", []), rows),
    }
    if "amount" in by_role:
        draft["amount_column"] = by_role["amount"][0]
    else:
        draft["debit_column"] = first(by_role.get("debit", []))
        draft["credit_column"] = first(by_role.get("credit", []))
    return completed_mapping(draft, names, rows, [], date_order)


def column_kind(cells: list[str], decimal_separator: str) -> str:
    """money, number, indicator (debit/credit words), status, text or empty."""
    values = [c for c in cells if c]
    words = {folded_text(v) for v in values}
    if not values:
        return "empty"
    if words <= DEBIT_WORDS | CREDIT_WORDS:
        return "indicator"
    if words <= STATUS_WORDS:
        return "status"
    try:
        [parse_amount(v, decimal_separator) for v in values]
    except ValueError:
        return "text" if any(ch.isalpha() for v in values for ch in v) else "other"
    marked = any(has_currency_mark(v) or decimal_separator in v for v in values)
    return "money" if marked else "number"


def is_date_column(cells: list[str], row_count: int) -> bool:
    values = [c for c in cells if c]
    if len(values) * 2 < row_count or not all(map(has_digit, values)):
        return False
    _, read = fitting_date_formats(values)
    return read * 10 >= len(values) * 9


def mapping_from_content(names: list[str], rows: list[Record], has_header: bool,
                         date_order: str | None = None) -> ColumnMapping:
    """A mapping read off the cells of a file whose header (if any) names nothing known."""
    sample = rows[:DETECTION_SAMPLE_SIZE]
    columns = range(len(names))
    date_columns = [c for c in columns if is_date_column([r.cell(c) for r in sample], len(sample))]
    if not date_columns:
        raise MappingNeeded("No column holds dates.", names, sample_rows(rows), guess=None)
    rows = [r for r in rows if has_digit(r.cell(date_columns[0]))]
    sample = rows[:DETECTION_SAMPLE_SIZE]
    cells = {c: [r.cell(c) for r in sample] for c in columns if c not in date_columns}
    separator = decided_decimal_separator(v for values in cells.values() for v in values if has_digit(v))
    kinds: dict[str, list[int]] = {}
    for column, values in cells.items():
        kinds.setdefault(column_kind(values, separator), []).append(column)
    problems: list[str] = []
    draft: dict[str, Any] = {
        "date_column": date_columns[0],
        "status_column": first(kinds.get("status", [])),
        "has_header": has_header,
    }
    draft.update(money_roles(kinds.get("money", []), rows, separator, problems))
    text = varying(kinds.get("text", []), rows)
    if not text or len(text) > 2:
        problems.append(f"{len(text)} columns hold text: which is the description?")
    draft["description_columns"] = tuple(text[:2])
    return completed_mapping(draft, names, rows, problems, date_order)


def money_roles(money: list[int], rows: list[Record], separator: str, problems: list[str]) -> dict[str, int]:
    """amount [balance], or paid-out/paid-in columns told apart by the running balance."""
    filled = [c for c in money if all(r.cell(c) for r in rows)]
    sparse = [c for c in money if c not in filled]
    if len(money) == 1 or (len(money) == 2 and len(filled) == 2):
        return {"amount_column": money[0], **({"balance_column": money[1]} if len(money) == 2 else {})}
    if len(sparse) == 2 and len(filled) <= 1:
        balance = first(filled)
        out_first = {"debit_column": sparse[0], "credit_column": sparse[1], "balance_column": balance}
        in_first = {"debit_column": sparse[1], "credit_column": sparse[0], "balance_column": balance}
        for roles in (out_first, in_first):
            if balance is not None and balances_follow(rows, roles, separator):
                return roles
            if signs_tell_apart(rows, roles, separator):
                return roles
        problems.append("two amount columns: which one is money out?")
        return out_first
    if not money:
        problems.append("no column holds amounts")
        return {}
    problems.append(f"{len(money)} columns hold amounts: which is the transaction amount?")
    return {"amount_column": money[0]}


def signs_tell_apart(rows: list[Record], roles: dict[str, int], separator: str) -> bool:
    """True when the money-out column holds only negative amounts and the money-in column only positive ones."""
    def signs(column: int) -> set[bool]:
        return {amount < 0 for r in rows if (amount := parse_amount(r.cell(column), separator))}

    try:
        return signs(roles["debit_column"]) == {True} and signs(roles["credit_column"]) == {False}
    except ValueError:
        return False


def balances_follow(rows: list[Record], roles: dict[str, int], separator: str) -> bool:
    """True when each balance is the one before plus the amount, in file order or reversed."""
    try:
        amounts = [
            combined_amount(parse_amount(r.cell(roles["debit_column"]), separator),
                            parse_amount(r.cell(roles["credit_column"]), separator)) or Decimal(0)
            for r in rows
        ]
        balances = [parse_amount(r.cell(roles["balance_column"]), separator) for r in rows]
    except ValueError:
        return False
    pairs = range(1, len(rows))
    return len(rows) > 1 and (
        all(balances[i] == balances[i - 1] + amounts[i] for i in pairs)
        or all(balances[i - 1] == balances[i] + amounts[i - 1] for i in pairs)
    )


def completed_mapping(
    draft: dict[str, Any], names: list[str], rows: list[Record], problems: list[str], date_order: str | None = None
) -> ColumnMapping:
    """Add the date format, decimal separator and sign convention; raise MappingNeeded on open choices.

    ``date_order`` ("dmy" or "mdy", the user's or the account's preference)
    decides between day-first and month-first formats that both read every date.
    """
    dates = [(r, r.cell(draft["date_column"])) for r in rows]
    formats, read = fitting_date_formats([cell for _, cell in dates])
    if not formats and dates:
        raise ImportFileError(f'"{dates[0][1]}" is not a date in any known format', dates[0][0].line)
    if read < len(dates) and len(formats) > 1:
        unreadable_date_everywhere(dates, formats)
    formats = in_date_order(formats, date_order)
    if draft.get("amount_column") is not None and "indicator_column" not in draft:
        draft["indicator_column"] = indicator_column(draft, len(names), rows)
    if len(formats) > 1:
        problems.append(f"the dates read as {' or as '.join(formats)}: which is it?")
    money = [draft.get(k) for k in ("amount_column", "debit_column", "credit_column", "balance_column")]
    separator = decided_decimal_separator(r.cell(c) for r in rows for c in money if c is not None)
    try:
        guess = ColumnMapping(**draft, date_format=formats[0] if formats else "YYYY-MM-DD",
                              decimal_separator=separator)
    except ValueError as error:
        problems.append(str(error))
        guess = None
    if guess is not None:
        guess = replace(guess, negate=signs_inverted(guess, rows))
    if problems:
        ambiguous_formats = formats if len(formats) > 1 else []
        raise MappingNeeded(as_sentences(problems), names, sample_rows(rows), guess, ambiguous_formats)
    return guess


def indicator_column(draft: dict[str, Any], width: int, rows: list[Record]) -> int | None:
    """A column of credit/debit indicators, when the amounts are unsigned; taken out of the text columns."""
    if any(r.cell(draft["amount_column"]).strip().startswith(("-", "(")) for r in rows):
        return None
    roles = {v for k, v in draft.items() if k.endswith("_column") and isinstance(v, int)}
    column = next((c for c in range(width) if c not in roles and is_indicator_column([r.cell(c) for r in rows])), None)
    for key in ("description_columns", "memo_columns"):
        draft[key] = tuple(c for c in draft.get(key, ()) if c != column)
    return column


def as_sentences(problems: list[str]) -> str:
    """The open questions as sentences for the mapping page and the CLI: capitalised, punctuated."""
    sentences = (problem[:1].upper() + problem[1:] for problem in problems)
    return " ".join(text if text.endswith(("?", ".")) else text + "." for text in sentences)


def unreadable_date_everywhere(dates: list[tuple[Record, str]], formats: list[str]) -> None:
    """Raise for the first date that no candidate format reads: no mapping could fix it."""
    for record, cell in dates:
        if all(date_or_none(cell, f) is None for f in formats):
            raise ImportFileError(f'"{cell}" is not a date in {" or ".join(formats)}', record.line)


def signs_inverted(mapping: ColumnMapping, rows: list[Record]) -> bool:
    """True when a DEBIT/CREDIT column shows debits written positive and credits negative."""
    if mapping.amount_column is None:
        return False
    used = set(mapping.roles().values()) | set(mapping.description_columns) | set(mapping.memo_columns)
    width = max((len(r.cells) for r in rows), default=0)
    for column in (c for c in range(width) if c not in used):
        words = [folded_text(r.cell(column)) for r in rows]
        if not words or not set(words) <= DEBIT_WORDS | CREDIT_WORDS:
            continue
        try:
            amounts = [parse_amount(r.cell(mapping.amount_column), mapping.decimal_separator) for r in rows]
        except ValueError:
            return False
        signed = [(w, a) for w, a in zip(words, amounts) if a]
        return bool(signed) and all((a > 0) == (w in DEBIT_WORDS) for w, a in signed)
    return False
