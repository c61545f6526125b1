"""Readers for exchange-rate files: the ECB's CSV history, its daily (or history) XML and a plain CSV.

Pure functions of the file's text; no Flask, no database. Each returns
:class:`PublishedRate` rows or raises ``ImportFileError`` naming the physical
line (1-based) of the first bad value, so nothing of a bad file is stored.

* ``eurofxref-hist.csv``: a ``Date`` column, then one column per currency, each
  cell the units of that currency one euro buys; ``N/A`` where the ECB published
  none (a currency that did not exist yet, or no longer). Every line ends with a
  comma, so the header has an empty last column, which is ignored.
* ``date,base,quote,rate``: one rate per line, any pair.
* The daily XML (``eurofxref-daily.xml``; the 90-day and history XML have the same
  shape with more days): ``Cube time=...`` elements holding ``Cube currency=... rate=...``.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.numbers import list_currencies
from lxml import etree

from dashboard.importers.records import ImportFileError
from dashboard.models.rates import LARGEST_RATE, RATE_SCALE, RateSource

ECB_BASE = "EUR"
ECB_MISSING = "N/A"
PLAIN_HEADER = ["date", "base", "quote", "rate"]
ECB_NAMESPACE = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"


@dataclass(frozen=True)
class PublishedRate:
    """One unit of ``base`` buys ``rate`` units of ``quote`` on ``day``."""

    day: date
    base: str
    quote: str
    rate: Decimal
    source: str


def currency_code(value: str) -> str | None:
    """The ISO 4217 code, upper-cased, or None when ``value`` is not one."""
    code = value.strip().upper()
    return code if len(code) == 3 and code in list_currencies() else None


def exact_rate(text: str) -> Decimal:
    """A positive rate of at most ``RATE_SCALE`` places, exactly as written; ValueError with the reason."""
    try:
        rate = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text.strip()!r} is not a rate") from None
    if not rate.is_finite() or rate <= 0 or rate >= LARGEST_RATE:
        raise ValueError(f"{text.strip()!r} is not a positive rate below {LARGEST_RATE:,}")
    if rate.as_tuple().exponent < -RATE_SCALE:
        raise ValueError(f"{text.strip()!r} has more than {RATE_SCALE} decimal places")
    return rate


def read_rates_csv(text: str) -> list[PublishedRate]:
    """Either CSV layout, told apart by the header: ``Date,USD,...`` (the ECB's) or ``date,base,quote,rate``."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFileError("the file is empty")
    header = [cell.strip() for cell in rows[0]]
    if [cell.lower() for cell in header[:4]] == PLAIN_HEADER:
        return _plain_rows(rows)
    if header[0] == "Date":
        return _ecb_rows(header, rows)
    raise ImportFileError("the header is neither the ECB's (Date,USD,JPY,...) nor date,base,quote,rate", 1)


def _day(text: str, line: int) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ImportFileError(f"{text.strip()!r} is not a date (YYYY-MM-DD)", line) from None


def _rate(text: str, line: int) -> Decimal:
    try:
        return exact_rate(text)
    except ValueError as error:
        raise ImportFileError(str(error), line) from None


def _ecb_rows(header: list[str], rows: list[list[str]]) -> list[PublishedRate]:
    columns = []
    for index, name in enumerate(header[1:], start=1):
        if not name:
            continue  # the empty column every ECB line's trailing comma makes
        code = currency_code(name)
        if code is None:
            raise ImportFileError(f"column {name!r} is not a currency code", 1)
        columns.append((index, code))
    rates = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        day = _day(row[0], line)
        for index, code in columns:
            cell = row[index].strip() if index < len(row) else ""
            if cell and cell != ECB_MISSING:
                rates.append(PublishedRate(day, ECB_BASE, code, _rate(cell, line), RateSource.ECB))
    return rates


def _plain_rows(rows: list[list[str]]) -> list[PublishedRate]:
    rates = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 4:
            raise ImportFileError("a line needs date,base,quote,rate", line)
        base, quote = currency_code(row[1]), currency_code(row[2])
        if base is None or quote is None:
            raise ImportFileError(f"{(row[1] if base is None else row[2]).strip()!r} is not a currency code", line)
        if base == quote:
            raise ImportFileError(f"a rate needs two different currencies, not {base} and {quote}", line)
        rates.append(PublishedRate(_day(row[0], line), base, quote, _rate(row[3], line), RateSource.CSV))
    return rates


def read_ecb_xml(data: bytes) -> list[PublishedRate]:
    """The ECB's reference-rate XML: every ``Cube time`` and the ``Cube currency rate`` elements inside it."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise ImportFileError(f"not XML: {error.msg}", error.lineno) from None
    days = root.iter(f"{{{ECB_NAMESPACE}}}Cube")
    rates = []
    for cube in days:
        if cube.get("time") is None:
            continue
        day = _day(cube.get("time"), cube.sourceline)
        for entry in cube:
            if entry.get("currency") is None:
                continue
            code = currency_code(entry.get("currency"))
            if code is None:
                raise ImportFileError(f"{entry.get('currency')!r} is not a currency code", entry.sourceline)
            rates.append(PublishedRate(day, ECB_BASE, code, _rate(entry.get("rate") or "", entry.sourceline),
                                       RateSource.ECB))
    if not rates:
        raise ImportFileError("no rates found: this is not the ECB's reference-rate XML")
    return rates
