"""Converting amounts between currencies at the rate of a date, exactly, or saying why not.

Stored amounts are never converted: figures are converted when shown. The rate of
a day is that day's, or the latest before it within ``RATE_MAX_AGE_DAYS`` (7 by
default); nothing older is used, and a missing rate is a :class:`MissingRate`
that pages and commands show, never a figure silently dropped or left in another
currency.

A rate is kept as an exact fraction (a cross rate through the euro, or any
common base, is the quotient of two published rates), and a converted amount is
that fraction times the amount, rounded once, half to even, to the target
currency's minor unit (two places for GBP, none for JPY): the stated rounding.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from babel.numbers import get_currency_precision
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dashboard.models.rates import ExchangeRate

DEFAULT_MAX_AGE_DAYS = 7
DISPLAY_DIGITS = 10  # significant digits a derived rate is shown with; conversion uses the exact fraction


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of the currency that converted figures are rounded to: 0.01 GBP, 1 JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def rounded(value: Fraction, currency: str) -> Decimal:
    """An exact fraction of the currency, rounded half to even to its minor unit (Python's round of a Fraction)."""
    places = get_currency_precision(currency)
    return Decimal(round(value * 10 ** places)).scaleb(-places)


def day_label(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


class MissingRate(LookupError):
    """No rate for a pair within the allowed age of a date; the message says which ("no USD→GBP rate ...")."""

    def __init__(self, base: str, quote: str, day: date, max_age_days: int):
        self.base, self.quote, self.day, self.max_age_days = base, quote, day, max_age_days
        super().__init__(f"no {base}→{quote} rate within {max_age_days} days of {day_label(day)}")


@dataclass(frozen=True)
class UsedRate:
    """One ``base`` is worth ``exact`` ``quote`` on ``day`` (the date of the oldest published rate it rests on)."""

    base: str
    quote: str
    day: date
    exact: Fraction
    via: str | None = None  # the common base of a cross rate
    days: int = 1  # more than one: the average of that many daily rates of the month of ``day``

    @property
    def value(self) -> Decimal:
        """The rate as a decimal, for showing (exact when the fraction is a short decimal)."""
        numerator = Decimal(self.exact.numerator)
        shown = (numerator / Decimal(self.exact.denominator))
        return Decimal(format(shown, f".{DISPLAY_DIGITS}g")).normalize() if shown else shown

    def convert(self, amount: Decimal) -> Decimal:
        """``amount`` of ``base`` in ``quote``, exact, then rounded to the quote's minor unit."""
        return rounded(Fraction(amount) * self.exact, self.quote)

    def inverse(self) -> UsedRate:
        return UsedRate(self.quote, self.base, self.day, 1 / self.exact, self.via, self.days)

    def describe(self) -> str:
        """What a page shows beside a converted figure: "1 USD = 0.7875 GBP on 5 Jan 2024 (via EUR)"."""
        via = f" (via {self.via})" if self.via else ""
        if self.days > 1:
            return f"1 {self.base} = {self.value:f} {self.quote}, the average of {self.days} daily rates in " \
                   f"{self.day:%b %Y}{via}"
        return f"1 {self.base} = {self.value:f} {self.quote} on {day_label(self.day)}{via}"


class RateBook:
    """Rates loaded once for a page or a command, looked up in memory for any pair and date.

    ``rows`` are ``(base, quote, day, rate, owned)``; a user's own rate replaces a
    published one of the same pair and day.
    """

    def __init__(self, rows: Iterable[tuple[str, str, date, Decimal, bool]],
                 max_age_days: int = DEFAULT_MAX_AGE_DAYS):
        self.max_age_days = max_age_days
        by_pair: dict[tuple[str, str], dict[date, tuple[bool, Decimal]]] = defaultdict(dict)
        for base, quote, day, rate, owned in rows:
            kept = by_pair[base, quote].get(day)
            if kept is None or owned >= kept[0]:
                by_pair[base, quote][day] = (owned, rate)
        self._days: dict[tuple[str, str], list[date]] = {}
        self._rates: dict[tuple[str, str], list[Decimal]] = {}
        self._neighbours: dict[str, set[str]] = defaultdict(set)
        for pair, days in by_pair.items():
            ordered = sorted(days)
            self._days[pair] = ordered
            self._rates[pair] = [days[d][1] for d in ordered]
            self._neighbours[pair[0]].add(pair[1])
            self._neighbours[pair[1]].add(pair[0])

    def _published(self, base: str, quote: str, day: date) -> tuple[date, Fraction] | None:
        """The latest rate of exactly this pair on or before ``day``, within the allowed age."""
        days = self._days.get((base, quote))
        if not days:
            return None
        index = bisect_right(days, day) - 1
        if index < 0 or days[index] < day - timedelta(days=self.max_age_days):
            return None
        return days[index], Fraction(self._rates[base, quote][index])

    def _leg(self, base: str, quote: str, day: date) -> tuple[date, Fraction] | None:
        """The pair as published, or its inverse; the newer of the two when both are."""
        found = [leg for leg in (self._published(base, quote, day), self._inverted(quote, base, day)) if leg]
        return max(found, key=lambda leg: leg[0]) if found else None

    def _inverted(self, base: str, quote: str, day: date) -> tuple[date, Fraction] | None:
        leg = self._published(base, quote, day)
        return (leg[0], 1 / leg[1]) if leg else None

    def rate(self, base: str, quote: str, day: date) -> UsedRate:
        """The rate of ``day`` (or the latest before it within the allowed age); :class:`MissingRate` when none.

        A direct (or inverse) rate is used when there is one; otherwise a cross rate
        through the common base whose older leg is the newest.
        """
        if base == quote:
            return UsedRate(base, quote, day, Fraction(1))
        direct = self._leg(base, quote, day)
        if direct:
            return UsedRate(base, quote, direct[0], direct[1])
        crosses = []
        for pivot in sorted(self._neighbours[base] & self._neighbours[quote]):
            first, second = self._leg(base, pivot, day), self._leg(pivot, quote, day)
            if first and second:
                crosses.append(UsedRate(base, quote, min(first[0], second[0]), first[1] * second[1], pivot))
        if not crosses:
            raise MissingRate(base, quote, day, self.max_age_days)
        return max(crosses, key=lambda used: used.day)


    def month_average(self, base: str, quote: str, month: date, last_day: date) -> UsedRate:
        """The mean of the rates published on the days of ``month`` up to ``last_day`` (a weekend repeats
        no rate); :class:`MissingRate` (as of the month's last day) when none was."""
        day, published = month, []
        while day.month == month.month and day <= last_day:
            try:
                used = self.rate(base, quote, day)
            except MissingRate:
                used = None
            if used is not None and used.day == day:
                published.append(used)
            day += timedelta(days=1)
        if not published:
            raise MissingRate(base, quote, min(day - timedelta(days=1), last_day), self.max_age_days)
        mean = sum((used.exact for used in published), Fraction(0)) / len(published)
        return UsedRate(base, quote, month, mean, published[0].via, len(published))


def load_rate_book(session: Session, owner_id: int | None, currencies: Iterable[str], first_day: date,
                   last_day: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> RateBook:
    """One query: the published rates and the owner's own that touch ``currencies`` between ``first_day`` (less the
    allowed age) and ``last_day``; every leg of a cross rate touches one of the currencies, so none is missed."""
    wanted = sorted(set(currencies))
    owned = ExchangeRate.owner_id.is_(None) if owner_id is None else or_(
        ExchangeRate.owner_id.is_(None), ExchangeRate.owner_id == owner_id)
    rows = session.execute(
        select(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.date, ExchangeRate.rate,
               ExchangeRate.owner_id.is_not(None))
        .where(owned, or_(ExchangeRate.base.in_(wanted), ExchangeRate.quote.in_(wanted)),
               ExchangeRate.date.between(first_day - timedelta(days=max_age_days), last_day))
    ).all()
    return RateBook(((b, q, d, r, bool(o)) for b, q, d, r, o in rows), max_age_days)
