"""Detecting a bank CSV's column mapping: from the header's names, or from the cells when no header names them.

The columns' roles are read from a sample of the rows (DETECTION_SAMPLE_SIZE);
what a sample cannot settle alone (which date format reads every date, the
decimal separator when the sample's amounts show none) is checked against the
rest of the rows. A choice that stays open raises :class:`MappingNeeded`.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from .csv_conventions import (
    CREDIT_WORDS,
    DEBIT_WORDS,
    STATUS_WORDS,
    combined_amount,
    date_or_none,
    decided_decimal_separator,
    decimal_separator_votes,
    fitting_date_formats,
    folded_text,
    has_currency_mark,
    header_currency,
    header_role,
    in_date_order,
    is_indicator_column,
    parse_amount,
)
from .csv_layout import ColumnMapping, MappingNeeded, Record, has_digit
from .records import ImportFileError

SAMPLE_SIZE = 5
DETECTION_SAMPLE_SIZE = 200



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
    separator = decimal_separator(draft, rows)
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


def decimal_separator(draft: dict[str, Any], rows: list[Record]) -> str:
    """The money columns' decimal separator, as the sample's amounts show it; the rest's when the sample's show none
    (whole amounts). A later row written the other way then fails with its line rather than being misread."""
    money = [c for k in ("amount_column", "debit_column", "credit_column", "balance_column")
             if (c := draft.get(k)) is not None]
    sample_votes = decimal_separator_votes(r.cell(c) for r in rows[:DETECTION_SAMPLE_SIZE] for c in money)
    if any(sample_votes.values()):
        return "," if sample_votes[","] > sample_votes["."] else "."
    return decided_decimal_separator(r.cell(c) for r in rows[DETECTION_SAMPLE_SIZE:] for c in money)


def indicator_column(draft: dict[str, Any], width: int, rows: list[Record]) -> int | None:
    """A column of credit/debit indicators, when the amounts are unsigned; taken out of the text columns.

    A column is a candidate when the sample's cells are indicators, and chosen when every row's are.
    """
    if any(r.cell(draft["amount_column"]).strip().startswith(("-", "(")) for r in rows):
        return None
    roles = {v for k, v in draft.items() if k.endswith("_column") and isinstance(v, int)}
    sample = rows[:DETECTION_SAMPLE_SIZE]
    column = next((c for c in range(width) if c not in roles
                   and is_indicator_column([r.cell(c) for r in sample])
                   and is_indicator_column([r.cell(c) for r in rows])), None)
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
    sample = rows[:DETECTION_SAMPLE_SIZE]
    for column in (c for c in range(width) if c not in used):
        if not {folded_text(r.cell(column)) for r in sample} <= DEBIT_WORDS | CREDIT_WORDS:
            continue  # the sample already shows other words: not an indicator column, whatever the rest holds
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
