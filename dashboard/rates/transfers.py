"""Transfers across currencies: a euro account paying a pound card is matched by the converted amount.

The two rows never have opposite amounts, so ``accounts.transfers`` (which pairs
exact opposites) cannot find them. Here money out is converted at the rate of its
date into the other account's currency, and a row coming in within a few days
whose amount is within the tolerance is suggested. Once linked, both rows count
as neither income nor expense (the ledger's "Transfers"), and what the money in
differs from the converted money out is shown as an exchange gain or loss.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from dashboard.access import WRITE, Scope
from dashboard.accounts.transfers import SUGGESTION_DAYS, SUGGESTION_LIMIT
from dashboard.models import Account, Transaction
from dashboard.models.accounts import AccountType
from dashboard.rates.conversion import MissingRate, RateBook, UsedRate, load_rate_book

RECENT_ROWS = 500  # money-out rows looked at, newest first: suggestions are about what just happened


@dataclass
class ExchangeDifference:
    """Money ``out`` converted at ``rate`` was ``expected`` in the other currency; ``received`` arrived."""

    out: Transaction
    into: Transaction
    rate: UsedRate
    expected: Decimal

    @property
    def difference(self) -> Decimal:
        """Positive: an exchange gain (more arrived than the rate gives); negative: a loss (fees, spread)."""
        return self.into.amount - self.expected

    @property
    def kind(self) -> str:
        return "gain" if self.difference > 0 else "loss" if self.difference < 0 else "none"


def _difference(book: RateBook, out: Transaction, into: Transaction) -> ExchangeDifference | None:
    try:
        rate = book.rate(out.currency, into.currency, out.date)
    except MissingRate:
        return None
    return ExchangeDifference(out, into, rate, -rate.convert(out.amount))


def within(pair: ExchangeDifference, tolerance_percent: Decimal) -> bool:
    return abs(pair.difference) * 100 <= abs(pair.expected) * tolerance_percent


def cross_currency_suggestions(session: Session, scope: Scope, max_age_days: int, tolerance_percent: Decimal,
                               limit: int = SUGGESTION_LIMIT) -> list[ExchangeDifference]:
    """Unlinked pairs across currencies that look like one transfer, newest first, each row in one pair at most:
    three queries (money out, money in over those days, the rates)."""
    money = (Account.type != AccountType.LEDGER)
    unlinked = [scope.rows(Transaction, WRITE), Transaction.transfer_id.is_(None),
                Transaction.account_id.in_(select(Account.id).where(scope.accounts(WRITE), money))]
    outs = session.scalars(select(Transaction).where(*unlinked, Transaction.amount < 0)
                           .order_by(Transaction.date.desc(), Transaction.id.desc()).limit(RECENT_ROWS)
                           .options(joinedload(Transaction.account))).all()
    if not outs:
        return []
    first, last = min(t.date for t in outs), max(t.date for t in outs)
    intos = session.scalars(select(Transaction).where(
        *unlinked, Transaction.amount > 0,
        Transaction.date.between(first - timedelta(days=SUGGESTION_DAYS), last + timedelta(days=SUGGESTION_DAYS)))
        .order_by(Transaction.date, Transaction.id).options(joinedload(Transaction.account))).all()
    currencies = {t.currency for t in outs} | {t.currency for t in intos}
    book = load_rate_book(session, scope.user_id, currencies, first, last, max_age_days)
    taken, pairs = set(), []
    for out in outs:
        candidates = []
        for into in intos:
            if (into.id in taken or into.owner_id != out.owner_id or into.account_id == out.account_id
                    or into.currency == out.currency or abs((into.date - out.date).days) > SUGGESTION_DAYS):
                continue
            pair = _difference(book, out, into)
            if pair and within(pair, tolerance_percent):
                candidates.append(pair)
        if candidates:
            best = min(candidates, key=lambda p: (abs(p.difference), abs((p.into.date - out.date).days)))
            taken.add(best.into.id)
            pairs.append(best)
            if len(pairs) == limit:
                break
    return pairs


def linked_exchange_difference(session: Session, scope: Scope, row: Transaction, other: Transaction | None,
                               max_age_days: int) -> ExchangeDifference | None:
    """For a linked transfer between two currencies, the exchange gain or loss (None otherwise, or with no rate)."""
    if other is None or other.currency == row.currency:
        return None
    out, into = (row, other) if row.amount < 0 else (other, row)
    book = load_rate_book(session, scope.user_id, {out.currency, into.currency}, out.date, out.date, max_age_days)
    return _difference(book, out, into)
