"""Every text format reads the same bytes the same way: UTF-8 (with or without BOM), UTF-16, Windows-1252."""
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard.importers.detect import parse_file
from dashboard.importers.records import ImportFileError
from dashboard.importers.text import decode_text, encoding_of
from dashboard.importers.sage import is_posting

FIXTURES = Path("/work/shared/fixtures")
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]
ACCENTED = "Café crème – €"


def _sage_text() -> str:
    text = (FIXTURES / "sage" / "audit_trail_2025Q1.csv").read_text(encoding="utf-8")
    return text.replace("Materials purchased", ACCENTED, 1)


def _ofx_text() -> str:
    text = (FIXTURES / "bank-exports" / "ofx1-sgml" / "checking.ofx").read_text(encoding="ascii")
    return text.replace("<NAME>", f"<NAME>{ACCENTED} ", 1)


FILES = {
    "csv": ("statement.csv", f"Date;Libellé;Montant\n13/02/2025;{ACCENTED};-3,50\n14/02/2025;Reçu;1 234,56\n"),
    "qif": ("statement.qif", f"!Type:Bank\nD13/02/2025\nT-3.50\nP{ACCENTED}\n^\n"),
    "sage": ("audit.csv", None),
    "ofx": ("statement.ofx", None),
}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("file_format", list(FILES))
def test_each_format_reads_accents_in_every_encoding_banks_use(file_format, encoding):
    filename, text = FILES[file_format]
    text = text or {"sage": _sage_text, "ofx": _ofx_text}[file_format]()
    parsed = parse_file(text.encode(encoding), filename)
    assert parsed.format == file_format
    # a Sage line's double-entry postings repeat its description: the line itself is the one to check
    described = [t for t in parsed.transactions if ACCENTED in t.description and not is_posting(t)]
    assert len(described) == 1
    assert described[0].amount == {"csv": Decimal("-3.50"), "qif": Decimal("-3.50"),
                                   "sage": Decimal("-346.73"), "ofx": Decimal("0.01")}[file_format]


def test_the_encoding_is_the_byte_order_mark_else_utf8_else_the_fallback():
    assert encoding_of(b"\xff\xfe" + "é".encode("utf-16-le"), "cp1252") == "utf-16"
    assert encoding_of(b"\xfe\xff" + "é".encode("utf-16-be"), "cp1252") == "utf-16"
    assert encoding_of("é".encode("utf-8-sig"), "cp1252") == "utf-8-sig"
    assert encoding_of("é".encode("utf-8"), "cp1252") == "utf-8"
    assert encoding_of("é".encode("cp1252"), "cp1252") == "cp1252"
    assert encoding_of("é".encode("cp1252"), "iso-8859-1") == "iso-8859-1"


def test_a_text_with_control_bytes_is_refused_at_its_line():
    with pytest.raises(ImportFileError) as refused:
        decode_text(b"!Type:Bank\r\nD01/05/2025\r\nT-1\x00\x01\r\n")
    assert refused.value.line == 3
    assert "binary" in refused.value.reason


@pytest.mark.parametrize("data", [b"", b" \r\n\t", "\n".encode("utf-16"), b"\xef\xbb\xbf"])
def test_an_empty_text_is_refused(data):
    with pytest.raises(ImportFileError, match="empty"):
        decode_text(data)
