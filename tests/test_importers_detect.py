"""Format detection on every shared fixture, and dispatch to the parsers."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from dashboard.importers.detect import FORMATS, detect_format, parse_file
from dashboard.importers.records import ImportFileError

FOLDER_FORMATS = {
    "csv": "csv",
    "ofx1-sgml": "ofx",
    "ofx2-xml": "ofx",
    "qfx": "ofx",
    "qif": "qif",
    "camt053": "camt053",
}


def fixture_files(bank_exports: Path) -> list[tuple[Path, str]]:
    return [
        (path, expected)
        for folder, expected in FOLDER_FORMATS.items()
        for path in sorted((bank_exports / folder).rglob("*"))
        if path.is_file()
    ]


def test_every_bank_export_is_detected_as_its_format(bank_exports: Path) -> None:
    files = fixture_files(bank_exports)

    detected = {path.name: detect_format(path.read_bytes(), path.name) for path, _ in files}

    assert detected == {path.name: expected for path, expected in files}
    assert len(files) == 32


def test_detection_reads_the_content_not_the_name(bank_exports: Path) -> None:
    detected = {
        path.name: detect_format(path.read_bytes(), "download.txt") for path, _ in fixture_files(bank_exports)
    }

    assert detected == {path.name: expected for path, expected in fixture_files(bank_exports)}


def test_sage_audit_trail_is_told_apart_from_a_bank_csv(sage_exports: Path) -> None:
    data = (sage_exports / "audit_trail_2025Q1.csv").read_bytes()

    assert detect_format(data, "audit_trail_2025Q1.csv") == "sage"
    assert detect_format(data) == "sage"


def test_extension_breaks_a_tie_between_plain_text_formats() -> None:
    qif_without_header = b"D12/19/18\nPOutlet\nT-100.58\n^\n"

    assert detect_format(qif_without_header, "statement.QIF") == "qif"
    assert detect_format(b"Date;Amount\n", "export.txt") == "csv"
    with pytest.raises(ImportFileError, match="is not a file format we can read"):
        detect_format(qif_without_header, "statement.txt")


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x01", "statement.pdf"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "statement.csv"),
        (b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>', "a.xml"),
    ],
)
def test_unreadable_content_is_refused_with_the_file_name(data: bytes, filename: str) -> None:
    with pytest.raises(ImportFileError, match=f"{filename} is not a file format we can read"):
        detect_format(data, filename)


def test_empty_file_is_refused() -> None:
    with pytest.raises(ImportFileError, match="empty"):
        parse_file(b"\n\n", "empty.ofx")


def test_an_explicit_format_must_be_one_we_know(bank_exports: Path) -> None:
    with pytest.raises(ImportFileError, match="unknown format 'xlsx'"):
        parse_file(b"Date,Amount\n", "a.csv", format="xlsx")
    assert FORMATS == ("csv", "ofx", "qif", "camt053", "sage")


def test_ofx_is_dispatched_to_the_ofx_parser(bank_exports: Path) -> None:
    data = (bank_exports / "ofx1-sgml/example.qbo").read_bytes()

    detected = parse_file(data, "example.qbo")
    chosen = parse_file(data, "download.bin", format="OFX")

    assert detected.format == chosen.format == "ofx"
    assert len(detected.statements) == len(chosen.statements) == 3
    assert sum(t.amount for t in detected.transactions) == Decimal("-691.81")


def test_an_explicit_format_wins_over_detection(bank_exports: Path) -> None:
    qif = (bank_exports / "qif/data-with-categories.qif").read_bytes()

    with pytest.raises(ImportFileError, match="not an OFX file"):
        parse_file(qif, "data-with-categories.qif", format="ofx")


@pytest.mark.parametrize(
    ("name", "expected_format", "transactions"),
    [
        ("csv/schwab-checking.csv", "csv", 4),
        ("qif/data-with-categories.qif", "qif", 3),
        ("camt053/camt053.v2.multi.statement.xml", "camt053", 2),
    ],
)
def test_other_bank_formats_are_dispatched(
    bank_exports: Path, name: str, expected_format: str, transactions: int
) -> None:
    path = bank_exports / name

    parsed = parse_file(path.read_bytes(), path.name)

    assert (parsed.format, len(parsed.transactions)) == (expected_format, transactions)


def test_sage_is_dispatched(sage_exports: Path) -> None:
    parsed = parse_file((sage_exports / "audit_trail_2025Q1.csv").read_bytes(), "audit_trail_2025Q1.csv")

    assert (parsed.format, len(parsed.transactions)) == ("sage", 42 + 57)  # lines and their double-entry sides


def test_a_utf16_csv_with_its_bom_is_a_csv():
    data = "Date,Description,Amount\r\n2025-01-02,Café,-3.50\r\n".encode("utf-16")
    assert detect_format(data, "export.csv") == "csv"
    assert parse_file(data, "export.csv").transactions[0].description == "Café"


@pytest.mark.parametrize("magic", [b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])
def test_a_workbook_named_csv_is_refused_with_what_to_do(magic):
    with pytest.raises(ImportFileError, match="save it from Excel as CSV"):
        detect_format(magic + b"\x00\x14\x00\x06\x00" * 20, "statement.csv")
