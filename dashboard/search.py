"""The text that transaction search matches: one normalisation for what is stored and what is asked."""
from __future__ import annotations

import unicodedata


def search_text(*parts: str | None) -> str:
    """Case-folded, NFKC-normalised text, so "café" finds "CAFÉ" on either engine."""
    return unicodedata.normalize("NFKC", " ".join(p for p in parts if p)).casefold()
