"""File downloads: one response for every CSV (and XLSX workbook) the pages offer, named safely for every browser."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from urllib.parse import quote

from flask import Response, stream_with_context

CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# OWASP's CSV-injection rule: a cell starting with one of these is run as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def download_response(body: Iterable[str] | str | bytes, filename: str, mimetype: str = CSV_MIMETYPE) -> Response:
    """``body`` (text or bytes, or lines streamed inside the request context) as an attachment called
    ``filename``."""
    content = body if isinstance(body, (str, bytes)) else stream_with_context(body)
    response = Response(content, mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", **download_names(filename))
    return response


def download_names(filename: str) -> dict[str, str]:
    """``filename`` in ASCII for every browser, and exactly (RFC 6266 ``filename*``) for those that read it.

    Headers are Latin-1 on the wire, so an account named in Cyrillic or Greek
    would otherwise break the download.
    """
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    plain = "".join(c if c.isalnum() or c in "-_. " else "_" for c in ascii_name)
    return {"filename": plain, "filename*": "UTF-8''" + quote(filename, safe="")}


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text line by line, so a million rows stream without being held in memory; every CSV the app writes
    (pages, reports, ``flask export``) comes from here, with formula cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def spreadsheet_safe(cell):
    """A text cell a spreadsheet would run as a formula, behind a quote (``'=SUM(A1)`` shows as text);
    plain numbers, negative amounts included, stay numbers.

    A carriage return becomes a newline: the writer quotes cells holding its line terminator ("\\n") only,
    and a bare CR left unquoted would split the row for most readers.
    """
    if not isinstance(cell, str):
        return cell
    if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell):
        cell = "'" + cell
    return cell.replace("\r\n", "\n").replace("\r", "\n")


# Columns whose figures-looking text stays text in a workbook (a code "4000", a bank reference "0012345").
TEXT_COLUMNS = frozenset({"account", "code", "nominal_code", "name", "description", "counterparty", "category",
                          "external_id", "note", "line", "section", "type", "status", "currency", "month"})
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def xlsx_workbook(header: Iterable[str], rows: Iterable[Iterable], title: str = "Export") -> bytes:
    """The same table as :func:`csv_lines` as an XLSX workbook: amounts as numbers in their currency's format
    (from a ``currency`` column), dates as dates, the header row frozen and bold, and no cell a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(re.sub(r"[\\/*?:\[\]]", " ", title)[:31] or "Export")
    sheet.freeze_panes = "A2"
    header = list(header)
    currency_at = header.index("currency") if "currency" in header else None
    bold = Font(bold=True)

    def cell(name: str, value, currency: str):
        if isinstance(value, str) and name not in TEXT_COLUMNS:
            if PLAIN_NUMBER.fullmatch(value):
                value = Decimal(value)
            elif ISO_DATE.fullmatch(value):
                value = date.fromisoformat(value)
        written = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)
        if isinstance(value, str):
            written.data_type = "s"  # "=SUM(A1)" is shown, never run
        elif isinstance(value, Decimal):
            written.number_format = ("0.0" if name.endswith("_percent") else
                                     f'#,##0.00 "{currency}";-#,##0.00 "{currency}"' if currency else "#,##0.00")
        elif isinstance(value, date):
            written.number_format = "yyyy-mm-dd"
        return written

    titles = []
    for name in header:
        heading = WriteOnlyCell(sheet, value=name)
        heading.font = bold
        titles.append(heading)
    sheet.append(titles)
    for row in rows:
        row = list(row)
        currency = row[currency_at] if currency_at is not None and isinstance(row[currency_at], str) else ""
        sheet.append([cell(name, value, currency) for name, value in zip(header, row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
