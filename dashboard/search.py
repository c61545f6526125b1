"""The text that transaction search matches: one normalisation for what is stored and what is asked."""
from __future__ import annotations

import unicodedata

GENERATED_ID_PREFIX = "h:"  # a content hash (importers.identity): nothing a person would search for
DESCRIPTION_KEY_LENGTH = 100


def folded_text(*parts: str | None) -> str:
    """Case-folded, NFKC-normalised text. Imported rows' identities hash it, so it never changes."""
    joined = " ".join(p for p in parts if p)
    if joined.isascii():  # NFKC leaves ASCII as it is and casefold is lower (most rows of most files)
        return joined.lower()
    return unicodedata.normalize("NFKC", joined).casefold()


def search_text(*parts: str | None) -> str:
    """Folded text without accents, so "cafe" finds "Café Nero" and "CAFÉ" on either engine."""
    folded = folded_text(*parts)
    if folded.isascii():  # no accents to take off
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return unicodedata.normalize("NFKC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def description_key(description: str | None) -> str:
    """The description order's key: the description's start without case or accents ("Café" sorts with "cafe",
    "iCloud" after "Harrods"). Short, so the index stays small and page cursors short."""
    return search_text(description)[:DESCRIPTION_KEY_LENGTH]


def reference(external_id: str | None) -> str | None:
    """The source's own reference inside an external id ("ofx:20230101001" -> "20230101001"), or None for an
    id the app made up (a content hash, a manual or demo row)."""
    if not external_id or ":" not in external_id or external_id.startswith(GENERATED_ID_PREFIX):
        return None
    return external_id.split(":", 1)[1]


def transaction_search_text(description: str | None, counterparty: str | None, note: str | None,
                            external_id: str | None) -> str:
    """What a transaction's search matches: its description, counterparty, note and reference."""
    return search_text(description, counterparty, note, reference(external_id))
