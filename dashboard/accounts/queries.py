"""What the account pages show, as plain functions of a session and an owner."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from dashboard.models import Account, MonthlyTotal, Transaction


def storable_id(value: int) -> bool:
    """Whether ``value`` can be a row id on both engines (SQLite refuses to bind a larger integer)."""
    return 0 < value < 2 ** 63


def user_account_or_404(session: Session, owner_id: int, account_id: int) -> Account:
    """The owner's account, or 404: the one place every route fetches an account by id."""
    if not storable_id(account_id):
        abort(404)
    account = session.scalar(select(Account).where(Account.id == account_id, Account.owner_id == owner_id))
    if account is None:
        abort(404)
    return account


def user_transaction_or_404(session: Session, owner_id: int, transaction_id: int) -> Transaction:
    """The owner's transaction, or 404: another user's id looks exactly like one that does not exist."""
    if not storable_id(transaction_id):
        abort(404)
    transaction = session.scalar(
        select(Transaction).where(Transaction.id == transaction_id, Transaction.owner_id == owner_id)
    )
    if transaction is None:
        abort(404)
    return transaction


@dataclass
class AccountSummary:
    account: Account
    transactions: int


@dataclass
class CurrencyTotal:
    currency: str
    ledger_balance: Decimal
    accounts: int
    as_of: datetime | None


def account_summaries(session: Session, owner_id: int) -> list[AccountSummary]:
    """The owner's accounts with their transaction counts (read from the monthly totals, not counted)."""
    counts = dict(session.execute(
        select(MonthlyTotal.account_id, func.sum(MonthlyTotal.transactions))
        .where(MonthlyTotal.owner_id == owner_id)
        .group_by(MonthlyTotal.account_id)
    ).all())
    accounts = session.scalars(
        select(Account).where(Account.owner_id == owner_id).order_by(Account.type, Account.name)
    ).all()
    return [AccountSummary(account, int(counts.get(account.id) or 0)) for account in accounts]


def transaction_count(session: Session, owner_id: int, account_id: int | None = None) -> int:
    """How many transactions the owner (or one account) has, from the monthly totals: no count(*) over millions."""
    query = select(func.coalesce(func.sum(MonthlyTotal.transactions), 0)).where(MonthlyTotal.owner_id == owner_id)
    if account_id is not None:
        query = query.where(MonthlyTotal.account_id == account_id)
    return int(session.scalar(query))


def totals_by_currency(accounts: list[Account]) -> list[CurrencyTotal]:
    """Ledger balances summed per currency: currencies are never added together."""
    grouped: dict[str, list[Account]] = defaultdict(list)
    for account in accounts:
        if account.ledger_balance is not None:
            grouped[account.currency].append(account)
    return [
        CurrencyTotal(
            currency=currency,
            ledger_balance=sum((a.ledger_balance for a in members), Decimal(0)),
            accounts=len(members),
            as_of=min((a.balance_as_of for a in members if a.balance_as_of), default=None),
        )
        for currency, members in sorted(grouped.items())
    ]


def latest_transactions(session: Session, owner_id: int, limit: int = 10) -> list[Transaction]:
    return list(session.scalars(
        select(Transaction).where(Transaction.owner_id == owner_id)
        .order_by(Transaction.date.desc(), Transaction.id.desc())
        .limit(limit)
        .options(joinedload(Transaction.account))
    ))
