"""What a transaction's vector is made of: its description and counterparty as text, and its amount band.

Two kinds of text vector, both computed on this machine with nothing downloaded:
``hashing`` (character n-grams hashed by CRC-32 into a fixed width) and
``wordllama`` (the 256-dimension weights that ship inside the wordllama
package). Either is L2-normalised, followed by a one-hot amount band, and the
whole normalised again, so a dot product is a cosine similarity. Every kind
has the same width, so the table's one vector column holds whichever is in use.
"""
from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

TEXT_WIDTH = 256  # _ngram_column's one byte
BANDS = 8  # money in or out, times four orders of magnitude (under 10, under 100, under 1,000, more)
WIDTH = TEXT_WIDTH + BANDS
BAND_WEIGHT = 0.35  # how much the amount band counts next to the text (a unit vector)
DIGIT_RUNS = re.compile(r"\d+")
NOT_WORD = re.compile(r"[^\w&]+")
NOT_WORD_OR_NEWLINE = re.compile(r"[^\w&\n]+")


class VectorKind(StrEnum):
    HASHING = "hashing"
    WORDLLAMA = "wordllama"


DEFAULT_KIND = VectorKind.HASHING  # the better of the two in bench/similarity.py's figures


def vector_text(description: str | None, counterparty: str | None) -> str:
    """The words a vector is made from: case-folded, without digit runs (card numbers, references, dates) or
    punctuation, so "AMZN Mktp UK*2K4" and "AMZN Mktp UK*9Q1" read the same."""
    joined = " ".join(part for part in (counterparty, description) if part)
    return " ".join(NOT_WORD.sub(" ", DIGIT_RUNS.sub(" ", joined.casefold())).split())


def vector_texts(rows: Sequence[tuple[str | None, str | None]]) -> list[str]:
    """``vector_text`` of many ``(description, counterparty)`` rows, each regex run once over all of them
    joined by newlines (an import's 100,000 rows in a tenth of the time); rows holding a newline themselves
    go one by one."""
    joined = "\n".join(f"{counterparty or ''} {description or ''}" for description, counterparty in rows)
    if joined.count("\n") != len(rows) - 1:
        return [vector_text(description, counterparty) for description, counterparty in rows]
    words = NOT_WORD_OR_NEWLINE.sub(" ", DIGIT_RUNS.sub(" ", joined.casefold()))
    return [line.strip() for line in words.split("\n")]


def amount_band(amount: Decimal | float | None, per_unit: int = 1) -> int | None:
    """Which of the ``BANDS`` the amount (counted in 1/``per_unit``ths) falls in; None without an amount
    (words typed into a search)."""
    if amount is None:
        return None
    size = abs(amount)  # int(log10(size + 1)), capped at 3, without the logarithm
    return (size >= 9 * per_unit) + (size >= 99 * per_unit) + (size >= 999 * per_unit) + (4 if amount > 0 else 0)


def vector_keys(rows: Sequence[tuple[str | None, str | None, Decimal | float | None]],
                per_unit: int = 1) -> list[tuple[str, int | None]]:
    """What each ``(description, counterparty, amount)`` row's vector depends on: rows with the same key (a
    merchant's repeated lines) share one vector. ``per_unit``: see :func:`amount_band`."""
    texts = vector_texts([(description, counterparty) for description, counterparty, _ in rows])
    return [(text, amount_band(amount, per_unit)) for text, (_, _, amount) in zip(texts, rows)]


@lru_cache(maxsize=1 << 16)
def _ngram_column(ngram: str) -> int:
    """CRC-32's low bits are a linear function of the text's, so similar n-grams would share columns: the
    column is the top byte of the CRC times Knuth's multiplicative-hashing constant."""
    return (zlib.crc32(ngram.encode()) * 2654435761 & 0xFFFFFFFF) >> 24


def ngram_vectors(texts: Sequence[str]) -> np.ndarray:
    """Counts of each word's character 3- and 4-grams (the word padded with a space each side, as
    scikit-learn's ``char_wb``), hashed by CRC-32 into ``TEXT_WIDTH`` columns and L2-normalised. Plain
    Python and numpy: scikit-learn's took 1.5 to 3.5 s to import, more than the vectors of an import."""
    rows, columns = [], []
    for number, text in enumerate(texts):
        ngrams = [padded[start:start + size] for word in text.split() for padded in (f" {word} ",)
                  for size in (3, 4) for start in range(max(1, len(padded) - size + 1))]
        rows.extend([number] * len(ngrams))
        columns.extend(map(_ngram_column, ngrams))
    matrix = np.zeros((len(texts), TEXT_WIDTH), dtype=np.float32)
    np.add.at(matrix, (rows, columns), 1.0)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


@cache
def _wordllama():
    import wordllama
    from wordllama import WordLlama
    return WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=TEXT_WIDTH)


def text_vectors(kind: VectorKind, texts: Sequence[str]) -> np.ndarray:
    """One L2-normalised row of ``TEXT_WIDTH`` float32 per text."""
    if not texts:
        return np.zeros((0, TEXT_WIDTH), dtype=np.float32)
    if kind == VectorKind.WORDLLAMA:
        return np.asarray(_wordllama().embed(list(texts), norm=True), dtype=np.float32)
    return ngram_vectors(texts)


def vectors_for_keys(kind: VectorKind, keys: Sequence[tuple[str, int | None]]) -> np.ndarray:
    """Vectors (``WIDTH`` float32, unit length) for ``(text, band)`` keys."""
    matrix = np.zeros((len(keys), WIDTH), dtype=np.float32)
    if not keys:
        return matrix
    matrix[:, :TEXT_WIDTH] = text_vectors(kind, [text for text, _ in keys])
    banded = [(number, band) for number, (_, band) in enumerate(keys) if band is not None]
    if banded:
        rows, bands = zip(*banded)
        matrix[list(rows), [TEXT_WIDTH + band for band in bands]] = BAND_WEIGHT
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return matrix


def vectors_for(kind: VectorKind, rows: Sequence[tuple[str | None, str | None, Decimal | None]]) -> np.ndarray:
    """Vectors for ``(description, counterparty, amount)`` rows."""
    return vectors_for_keys(kind, vector_keys(rows))
