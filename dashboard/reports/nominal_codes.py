"""Each owner's chart of accounts: read, set one code, import and export as CSV ``code,name[,kind]``.

The chart starts as the Sage 50 UK standard one; an owner's rows rename codes,
add codes or change their kind. A kind may be written as its value
(``current_liabilities``) or its words (``Current liabilities``); without one,
a code takes the kind of the Sage 50 UK range it falls in.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.importers.records import ImportFileError
from dashboard.models import NominalCode
from dashboard.models.nominal import NominalKind, default_kind
from dashboard.reports.bookkeeping import Code, chart

CODE_LENGTH = NominalCode.code.type.length
NAME_LENGTH = NominalCode.name.type.length
CSV_HEADER = ["code", "name", "kind"]


def owner_chart(session: Session, owner_id: int) -> list[Code]:
    """The owner's chart in code order, standard codes included."""
    return sorted(chart(session, Scope.of_user(owner_id)).values(), key=lambda c: c.code)


def parse_kind(text: str, code: str) -> NominalKind:
    """A kind from its value or its words; blank for the code's Sage 50 UK range. ValueError when neither."""
    words = text.strip().lower().replace(" ", "_").replace("-", "_")
    if not words:
        kind = default_kind(code)
        if kind is None:
            raise ValueError(f"code {code!r} is not in a Sage 50 UK range: give its kind")
        return kind
    try:
        return NominalKind(words)
    except ValueError:
        raise ValueError(f"unknown kind {text!r}; use one of {', '.join(k.label.lower() for k in NominalKind)}") \
            from None


def checked_code(code: str, name: str, kind: str) -> tuple[str, str, NominalKind]:
    """One code as (code, name, kind), or ValueError saying what is wrong with it."""
    code, name = code.strip(), name.strip()
    if not code or len(code) > CODE_LENGTH:
        raise ValueError(f"a nominal code has 1 to {CODE_LENGTH} characters")
    if not name or len(name) > NAME_LENGTH:
        raise ValueError(f"a code's name has 1 to {NAME_LENGTH} characters")
    return code, name, parse_kind(kind, code)


def read_codes_csv(text: str) -> list[tuple[str, str, NominalKind]]:
    """Rows of a ``code,name[,kind]`` CSV (a header row is optional); ImportFileError with the line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    codes = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row) or (line == 1 and row[0].strip().lower() == "code"):
                continue
            if len(row) not in (2, 3):
                raise ImportFileError(f"expected code,name[,kind], found {len(row)} columns", line)
            try:
                codes.append(checked_code(row[0], row[1], row[2] if len(row) == 3 else ""))
            except ValueError as error:
                raise ImportFileError(str(error), line) from None
    except csv.Error as error:
        raise ImportFileError(f"unreadable CSV: {error}", reader.line_num) from None
    return codes


def store_codes(session: Session, actor: Actor, owner_id: int,
                codes: Iterable[tuple[str, str, NominalKind]]) -> int:
    """Add or rename the owner's codes; the number stored. The caller commits."""
    existing = {row.code: row for row in session.scalars(select(NominalCode).where(NominalCode.owner_id == owner_id))}
    count = 0
    for code, name, kind in codes:
        row = existing.get(code)
        if row is None:
            row = existing[code] = NominalCode(owner_id=owner_id, code=code)
            session.add(row)
        row.name, row.kind = name, kind.value
        count += 1
    record_event(session, AuditAction.NOMINAL_CODES_SET, actor, owner_id=owner_id, target=f"user:{owner_id}",
                 details={"codes": count})
    session.flush()
    return count


def chart_table(codes: Iterable[Code]) -> tuple[list[str], list[list[str]]]:
    return CSV_HEADER, [[c.code, c.name, c.kind.value if c.kind else ""] for c in codes]
