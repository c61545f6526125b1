"""Text as rules compare it: without accents, and case-folded, so "CAFÉ" equals "cafe"."""
from __future__ import annotations

import unicodedata


def strip_accents(text: str) -> str:
    """Compatibility-decomposed, with the combining marks dropped: "Crème Brûlée" -> "Creme Brulee"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed if decomposed.isascii() else "".join(c for c in decomposed if not unicodedata.combining(c))


def folded(text: str | None) -> str:
    """Accent-free and case-folded: what "contains", "equals" and "starts with" compare."""
    return strip_accents(text).casefold() if text else ""
