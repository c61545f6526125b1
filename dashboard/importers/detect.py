"""Which format a bank or accounting file is in, and the parser that reads it.

The content decides; the file name's extension only breaks a tie, when the
content is plain text that no format marks as its own.
"""
from __future__ import annotations

import codecs
import csv
import importlib
from pathlib import PurePath
from typing import TYPE_CHECKING, BinaryIO

from .records import ImportFileError, ParsedFile

if TYPE_CHECKING:
    from .bank_csv import ColumnMapping

FORMATS = ("csv", "ofx", "qif", "camt053", "sage")
READABLE_FORMATS = "CSV, OFX/QFX/QBO, QIF, ISO 20022 camt.052/053/054 XML or a Sage audit-trail CSV"

PARSER_MODULES = {
    "csv": "bank_csv",
    "ofx": "ofx",
    "qif": "qif",
    "camt053": "camt053",
    "sage": "sage",
}
EXTENSION_FORMATS = {
    ".csv": "csv",
    ".ofx": "ofx",
    ".qfx": "ofx",
    ".qbo": "ofx",
    ".qif": "qif",
}
SAGE_AUDIT_TRAIL_COLUMNS = {"no", "type", "account", "nominal", "net", "tax"}
CAMT_NAMESPACES = tuple(f"urn:iso:std:iso:20022:tech:xsd:camt.{kind}." for kind in ("052", "053", "054"))
QIF_HEADERS = ("!type:", "!account", "!option:", "!clear:")
CSV_DELIMITERS = ",;\t|"
_HEAD_SIZE = 8192
# Control characters that do not occur in text files (tab, newlines, form feed are allowed).
_BINARY_BYTES = bytes(set(range(32)) - {9, 10, 12, 13}) + b"\x7f"


def parse_file(
    data: bytes | BinaryIO,
    filename: str = "",
    format: str = "auto",
    csv_mapping: ColumnMapping | None = None,
    date_order: str | None = None,
) -> ParsedFile:
    """Parse ``data`` with the parser for ``format``, or the detected one when "auto".

    ``data`` is the file's bytes, or the open file (seekable, binary): a CSV larger than the
    parser's sample then streams (``bank_csv.parse_stream``), any other file is read whole.
    ``csv_mapping`` goes to ``bank_csv.parse``, ``date_order`` ("dmy"/"mdy") to it and to ``qif.parse``;
    other formats ignore them.
    """
    if not isinstance(data, bytes):
        data.seek(0)
        chosen = detect_format(data.read(_HEAD_SIZE * 2), filename) if format.strip().lower() == "auto" \
            else _known_format(format)
        bank_csv = importlib.import_module(f".{PARSER_MODULES['csv']}", __package__)
        if chosen == "csv" and data.seek(0, 2) > bank_csv.STREAM_SAMPLE_CHARACTERS:
            return bank_csv.parse_stream(data, csv_mapping, date_order)
        data.seek(0)
        data = data.read()
    chosen = detect_format(data, filename) if format.strip().lower() == "auto" else _known_format(format)
    parser = importlib.import_module(f".{PARSER_MODULES[chosen]}", __package__)
    if chosen == "csv":
        return parser.parse(data, csv_mapping, date_order)
    if chosen == "qif":
        return parser.parse(data, date_order)
    return parser.parse(data)


def detect_format(data: bytes, filename: str = "") -> str:
    """One of FORMATS, from the content first and the extension second."""
    name = filename or "this file"
    head = _head_as_utf8(data).removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n\x00")
    if not head:
        raise ImportFileError(f"{name} is empty")
    text = _decode_head(head)
    if "OFXHEADER" in text or "<OFX>" in text.upper():
        return "ofx"
    if text.lower().startswith(QIF_HEADERS):
        return "qif"
    if text.startswith("<"):
        if any(namespace in text for namespace in CAMT_NAMESPACES):
            return "camt053"
        raise _unreadable(name, "an XML document that is neither OFX nor ISO 20022 camt.052/053/054")
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _unreadable(name, "a spreadsheet workbook or zip archive; save it from Excel as CSV first")
    if _looks_binary(head):
        raise _unreadable(name, "binary content")
    if SAGE_AUDIT_TRAIL_COLUMNS <= _header_columns(text):
        return "sage"
    by_extension = EXTENSION_FORMATS.get(PurePath(filename).suffix.lower())
    if by_extension:
        return by_extension
    if any(delimiter in line for line in text.splitlines()[:20] for delimiter in CSV_DELIMITERS):
        return "csv"
    raise _unreadable(name, "text with no columns")


def _head_as_utf8(data: bytes) -> bytes:
    """The file's first bytes; UTF-16 (which banks' Excel exports use) re-encoded so its NULs don't read as binary."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data[: _HEAD_SIZE * 2].decode("utf-16", errors="ignore").encode("utf-8")
    return data[:_HEAD_SIZE]


def _known_format(format: str) -> str:
    chosen = format.strip().lower()
    if chosen not in FORMATS:
        raise ImportFileError(f"unknown format {format!r}: choose auto or one of {', '.join(FORMATS)}")
    return chosen


def _decode_head(head: bytes) -> str:
    """Enough of the text to recognise a format; Latin-1 reads any byte."""
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # a character cut in two by the head's end
            return head[: error.start].decode("utf-8")
        return head.decode("latin-1")


def _looks_binary(head: bytes) -> bool:
    return any(byte in _BINARY_BYTES for byte in head)


def _header_columns(text: str) -> set[str]:
    first_line = next(iter(text.splitlines()), "")
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    return {column.strip().lower() for column in next(csv.reader([first_line], delimiter=delimiter))}


def _unreadable(name: str, what: str) -> ImportFileError:
    return ImportFileError(f"{name} is not a file format we can read ({what}); we read {READABLE_FORMATS}")
