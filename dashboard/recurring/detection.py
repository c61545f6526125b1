"""Recurring payments found in a history of payments: pure functions, no database and no Flask.

Payments are grouped by their normalised counterparty (or description when there is none) and
currency; a group is recurring when it has at least ``MIN_OCCURRENCES`` payments whose gaps fit
one cadence (weekly ... yearly) and whose amounts are similar. The next expected date follows from
the last payment and the cadence, so a payment that has not come is "missed" however long the
server was down: everything is computed from the data at the time it is read.
"""
from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from statistics import median

MIN_OCCURRENCES = 3
SIMILAR_AMOUNT = Decimal("0.2")  # amounts within 20 % of the usual one belong to the same payment
REGULAR_SHARE = Decimal("0.75")  # this share of the gaps must fit the cadence
CENT = Decimal("0.01")


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    FOUR_WEEKLY = "four_weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


# cadence: (typical gap in days, tolerance in days, payments a year, label)
CADENCES = {
    Cadence.WEEKLY: (7, 1, 52, "Every week"),
    Cadence.FORTNIGHTLY: (14, 2, 26, "Every two weeks"),
    Cadence.FOUR_WEEKLY: (28, 1, 13, "Every four weeks"),
    Cadence.MONTHLY: (30, 4, 12, "Every month"),
    Cadence.QUARTERLY: (91, 10, 4, "Every three months"),
    Cadence.YEARLY: (365, 15, 1, "Every year"),
}
MONTHS_BETWEEN = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.YEARLY: 12}
LOOKBACK_DAYS = 3 * 365 // 2 + 365  # enough history for three yearly payments


@dataclass(frozen=True)
class Payment:
    date: date
    amount: Decimal  # negative: money out
    description: str
    counterparty: str | None = None
    currency: str = ""


@dataclass
class Pattern:
    key: str
    currency: str
    name: str
    cadence: Cadence
    amount: Decimal  # the expected amount (negative), the latest one
    last_date: date
    next_date: date
    occurrences: int
    missed: date | None = None  # the expected date that passed without a payment
    previous_amount: Decimal | None = None  # set when the latest amount differs from the one before

    @property
    def price_changed(self) -> bool:
        return self.previous_amount is not None

    @property
    def monthly_cost(self) -> Decimal:
        """What it costs a month on average, a positive figure to the cent."""
        return (-self.amount * CADENCES[self.cadence][2] / 12).quantize(CENT)

    @property
    def cadence_label(self) -> str:
        return CADENCES[self.cadence][3]


def payment_key(payment: Payment) -> str:
    """The counterparty (or description) without case, accents, digits and punctuation: "NETFLIX.COM 1234"
    and "Netflix.com 5678" are one payee."""
    text = unicodedata.normalize("NFKD", payment.counterparty or payment.description).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]|\d|_", " ", text).split())[:255]


def detect(payments: Iterable[Payment], today: date) -> list[Pattern]:
    """The recurring payments among ``payments`` (money out), biggest monthly cost first."""
    groups: dict[tuple[str, str], list[Payment]] = defaultdict(list)
    for payment in payments:
        key = payment_key(payment)
        if payment.amount < 0 and key:
            groups[(key, payment.currency)].append(payment)
    found = [p for (key, currency), group in groups.items() if (p := _pattern(key, currency, group, today))]
    return sorted(found, key=lambda p: (-p.monthly_cost, p.name))


def _pattern(key: str, currency: str, group: list[Payment], today: date) -> Pattern | None:
    group.sort(key=lambda p: p.date)
    usual = Decimal(median(p.amount for p in group))
    similar = [p for p in group if abs(p.amount - usual) <= abs(usual) * SIMILAR_AMOUNT]
    if len(similar) < MIN_OCCURRENCES:
        return None
    gaps = [(b.date - a.date).days for a, b in zip(similar, similar[1:])]
    cadence = _cadence(gaps)
    if cadence is None:
        return None
    last = similar[-1]
    pattern = Pattern(key=key, currency=currency, name=last.counterparty or last.description, cadence=cadence,
                      amount=last.amount, last_date=last.date, next_date=last.date, occurrences=len(similar))
    if last.amount != similar[-2].amount:
        pattern.previous_amount = similar[-2].amount
    expect(pattern, today)
    return pattern


def _cadence(gaps: list[int]) -> Cadence | None:
    typical = median(gaps)
    for cadence, (days, tolerance, _per_year, _label) in CADENCES.items():
        if abs(typical - days) <= tolerance:
            fitting = sum(1 for gap in gaps if abs(gap - days) <= tolerance * 2)
            return cadence if fitting >= len(gaps) * REGULAR_SHARE else None
    return None


def next_after(day: date, cadence: Cadence) -> date:
    """The date one cadence after ``day``: the same day of a later month for monthly cadences."""
    months = MONTHS_BETWEEN.get(cadence)
    if months is None:
        return day + timedelta(days=CADENCES[cadence][0])
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def expect(pattern: Pattern, today: date) -> None:
    """Set the next expected date from the last payment; one that passed by more than the cadence's tolerance
    is recorded as missed, and the next one after today is expected instead."""
    tolerance = CADENCES[pattern.cadence][1]
    expected = next_after(pattern.last_date, pattern.cadence)
    pattern.missed = None
    if expected + timedelta(days=tolerance) < today:
        pattern.missed = expected
        while expected < today:
            expected = next_after(expected, pattern.cadence)
    pattern.next_date = expected
