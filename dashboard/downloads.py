"""File downloads: one response for every CSV the pages offer, named safely for every browser."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from flask import Response, stream_with_context

CSV_MIMETYPE = "text/csv"
# OWASP's CSV-injection rule: a cell starting with one of these is run as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def download_response(body: Iterable[str] | str, filename: str, mimetype: str = CSV_MIMETYPE) -> Response:
    """``body`` (text, or lines streamed inside the request context) as an attachment called ``filename``."""
    content = body if isinstance(body, str) else stream_with_context(body)
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
