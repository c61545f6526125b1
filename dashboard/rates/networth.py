"""Net worth on a date in one currency: each currency's balances converted at that date's rate.

A balance is the opening balance plus the posted rows up to and including the
date (cards and loans in debt are negative, so the sum is net worth). Nominal
ledgers hold postings, not money, and are left out, as on the dashboard.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.models import Account, Money, Transaction, User
from dashboard.models.accounts import AccountType, TransactionStatus
from dashboard.rates.conversion import MissingRate, RateBook, UsedRate, load_rate_book
from dashboard.rates.preferences import home_currency

if TYPE_CHECKING:  # the accounts blueprint imports this module
    from dashboard.accounts.queries import CurrencyTotal

ZERO = Decimal(0)


@dataclass
class Holding:
    """What the scope holds in one currency on the date, and that figure converted (or why not)."""

    currency: str
    balance: Decimal
    rate: UsedRate | None = None
    converted: Decimal | None = None
    missing: MissingRate | None = None


@dataclass
class NetWorth:
    currency: str
    as_of: date
    holdings: list[Holding] = field(default_factory=list)

    @property
    def missing(self) -> list[MissingRate]:
        return [h.missing for h in self.holdings if h.missing]

    @property
    def converted_sum(self) -> Decimal:
        """The sum of what could be converted: shown only beside the list of what could not."""
        return sum((h.converted for h in self.holdings if h.converted is not None), ZERO)

    @property
    def unconverted(self) -> list[Holding]:
        return [h for h in self.holdings if h.missing]

    def holding(self, currency: str) -> Holding | None:
        return next((h for h in self.holdings if h.currency == currency), None)

    @property
    def total(self) -> Decimal | None:
        """The converted sum; None when any currency could not be converted (never a partial sum)."""
        if self.missing:
            return None
        return sum((h.converted for h in self.holdings), ZERO)


def balances_by_currency(session: Session, scope: Scope, as_of: date) -> dict[str, Decimal]:
    """The scope's money accounts' balances at the end of ``as_of``, summed per currency: two queries."""
    accounts = session.execute(
        select(Account.id, Account.currency, Account.opening_balance, Account.opening_date)
        .where(scope.accounts(), Account.type != AccountType.LEDGER)).all()
    posted = dict(session.execute(
        select(Transaction.account_id, type_coerce(func.sum(Transaction.amount), Money))
        .where(scope.rows(Transaction), Transaction.status == TransactionStatus.POSTED, Transaction.date <= as_of)
        .group_by(Transaction.account_id)).all())
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for account_id, currency, opening, opening_date in accounts:
        opened = opening if opening_date is None or opening_date <= as_of else ZERO
        totals[currency] += opened + (posted.get(account_id) or ZERO)
    return dict(sorted(totals.items()))


def net_worth(session: Session, scope: Scope, currency: str, as_of: date, max_age_days: int) -> NetWorth:
    """The scope's net worth on ``as_of`` in ``currency``, each currency at that day's rate (or the latest
    before it within ``max_age_days``); a currency without one is kept unconverted and flagged."""
    balances = balances_by_currency(session, scope, as_of)
    book = load_rate_book(session, scope.user_id, [*balances, currency], as_of, as_of, max_age_days)
    return converted_balances(book, balances, currency, as_of)


def converted_balances(book: RateBook, balances: dict[str, Decimal], currency: str, as_of: date) -> NetWorth:
    """Per-currency figures (already summed) converted at the rates of ``as_of``; the dashboard converts the
    totals it shows, so its net worth is exactly the sum of those figures converted."""
    result = NetWorth(currency, as_of)
    for held, balance in balances.items():
        holding = Holding(held, balance)
        try:
            holding.rate = book.rate(held, currency, as_of)
            holding.converted = holding.rate.convert(balance)
        except MissingRate as missing:
            holding.missing = missing
        result.holdings.append(holding)
    return result


def dashboard_net_worth(session: Session, user: User, totals: list[CurrencyTotal]) -> NetWorth:
    """The dashboard's per-currency totals converted into the user's home currency at today's rates."""
    home = home_currency(session, user)
    today = date.today()
    balances = {total.currency: total.balance for total in totals}
    book = load_rate_book(session, user.id, [*balances, home], today, today, current_app.config["RATE_MAX_AGE_DAYS"])
    return converted_balances(book, balances, home, today)
