"""What the account pages show, as plain functions of a session and a :class:`~dashboard.access.Scope`."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from dashboard.access import Scope
from dashboard.models import Account, MonthlyTotal, Transaction


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


def account_summaries(session: Session, scope: Scope) -> list[AccountSummary]:
    """The scope's accounts with their transaction counts (read from the monthly totals, not counted)."""
    counts = dict(session.execute(
        select(MonthlyTotal.account_id, func.sum(MonthlyTotal.transactions))
        .where(scope.rows(MonthlyTotal))
        .group_by(MonthlyTotal.account_id)
    ).all())
    accounts = session.scalars(
        select(Account).where(scope.accounts()).order_by(Account.type, Account.name)
    ).all()
    return [AccountSummary(account, int(counts.get(account.id) or 0)) for account in accounts]


def transaction_count(session: Session, scope: Scope, account_id: int | None = None) -> int:
    """How many transactions the scope sees (in one account, or in all), from the monthly totals: no count(*)
    over millions."""
    query = select(func.coalesce(func.sum(MonthlyTotal.transactions), 0)).where(scope.rows(MonthlyTotal))
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


def latest_transactions(session: Session, scope: Scope, limit: int = 10) -> list[Transaction]:
    """The newest transactions across the scope's accounts, each with its account loaded."""
    return list(session.scalars(
        select(Transaction).where(scope.rows(Transaction))
        .order_by(Transaction.date.desc(), Transaction.id.desc())
        .limit(limit)
        .options(joinedload(Transaction.account))
    ))
