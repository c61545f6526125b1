"""Reading a file's bytes as text: the choice of encoding every text format shares.

The bytes decide alone, in this order: a byte-order mark (UTF-8, or UTF-16 as
banks' Excel exports write it), else UTF-8 when the bytes are valid UTF-8,
else the format's own fallback (Windows-1252 for QIF and Sage, the declared
charset for OFX, Windows-1252 or ISO-8859-1 for bank CSV). Windows-1252 text
with accented letters is almost never valid UTF-8, so the order is safe.

No statistical guesser (charset-normalizer) decides the fallback: a bank
export is short and mostly ASCII, where such guesses are wrong (cp1250 for a
few Portuguese accents), and a format's own rule is what its writer used.
"""
from __future__ import annotations

import codecs
import re

from .records import ImportFileError

BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters that do not occur in text (tab, newlines and form feed do), and the
# replacement character that bytes undefined in the encoding decode to.
_BINARY_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def encoding_of(data: bytes, fallback: str) -> str:
    """The encoding the bytes show: their byte-order mark, else UTF-8 if they are valid UTF-8, else ``fallback``."""
    for mark, encoding in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return encoding
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return fallback
    return "utf-8"


def decode_text(data: bytes, fallback: str = "cp1252") -> tuple[str, str]:
    """Text and its encoding (see :func:`encoding_of`); an empty or binary file is refused with its line."""
    encoding = encoding_of(data, fallback)
    text = data.decode(encoding, errors="replace")
    if not text.strip():
        raise ImportFileError("the file is empty", 1)
    junk = _BINARY_CHARACTERS.search(text)
    if junk:
        raise ImportFileError("the file is not text (binary data)", len(physical_lines(text[: junk.start()])))
    return text, encoding


def physical_lines(text: str) -> list[str]:
    """Lines as a reader counts them: CRLF, LF and a lone CR (old Mac) each end one."""
    return _LINE_BREAK.split(text)
