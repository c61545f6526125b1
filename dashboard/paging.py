"""Keyset cursors: where a page starts, written into a URL and read back.

A page is the rows after (or before) one row in a sort order, found with one
indexed range scan whatever the depth, never with OFFSET. The cursor in the
URL is that row's place: its id and its value in the sort column. The
transaction table, the audit log and the API page the same way; each says
how to read its sort column's value back (:func:`decode_key`'s ``parse``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from dashboard.access import storable_id


@dataclass(frozen=True)
class Position:
    """Where a page starts: the first page, after a row, before a row, or the last page."""

    after: tuple | None = None
    before: tuple | None = None
    last: bool = False


def encode_key(value, row_id: int) -> str:
    """A row's place in the sort order as it appears in the URL: ``<id>:<value>``."""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return f"{row_id}:{text}"


def decode_key(text: str | None, parse: Callable[[str], Any]) -> tuple | None:
    """The (value, id) pair of :func:`encode_key`, the value read by ``parse``.

    ``parse`` raises ValueError (or ArithmeticError, as ``Decimal`` does) for a
    value the sort column cannot hold; that, like any malformed cursor, gives
    None, which shows the first page.
    """
    if not text or ":" not in text:
        return None
    row_id, value = text.split(":", 1)
    try:
        key = parse(value), int(row_id)
    except (ValueError, ArithmeticError):
        return None
    return key if storable_id(key[1]) else None
