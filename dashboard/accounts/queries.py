"""What the account pages show, as plain functions of a session and a :class:`~dashboard.access.Scope`."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.orm import Session, joinedload

from dashboard.access import Scope
from dashboard.models import Account, MonthlyTotal, Money, Transaction
from dashboard.models.accounts import AccountType, TransactionStatus

ZERO = Decimal(0)


@dataclass
class AccountSummary:
    account: Account
    transactions: int
    posted: Decimal = ZERO  # the sum of the posted rows
    pending: Decimal = ZERO  # the sum of the pending rows, shown apart

    @property
    def balance(self) -> Decimal:
        """What every page shows: the opening balance plus the posted rows."""
        return self.account.opening_balance + self.posted

    @property
    def owed(self) -> Decimal:
        """For a credit card or loan, what is owed (a positive figure when in debt)."""
        return -self.balance

    @property
    def agrees(self) -> bool | None:
        """Whether the balance a file or the bank stated equals the computed one (None: none stated)."""
        if self.account.ledger_balance is None:
            return None
        return self.account.ledger_balance == self.balance


@dataclass
class CurrencyTotal:
    currency: str
    balance: Decimal
    accounts: int
    as_of: datetime | None
    net: bool  # assets less debts: some of the accounts are liabilities


def row_sums(session: Session, scope: Scope, account_ids: list[int] | None = None) -> dict[int, tuple[Decimal, Decimal]]:
    """(posted, pending) sums of each account's rows, exact: the monthly totals (every row) less the pending rows.

    Reads thousands of totals and the few pending rows (a partial index), never every row of a million.
    """
    net = type_coerce(func.sum(MonthlyTotal.income) - func.sum(MonthlyTotal.expense), Money)
    totals = select(MonthlyTotal.account_id, net).where(scope.rows(MonthlyTotal)).group_by(MonthlyTotal.account_id)
    pending = (select(Transaction.account_id, type_coerce(func.sum(Transaction.amount), Money))
               .where(scope.rows(Transaction), Transaction.status == TransactionStatus.PENDING)
               .group_by(Transaction.account_id))
    if account_ids is not None:
        totals = totals.where(MonthlyTotal.account_id.in_(account_ids))
        pending = pending.where(Transaction.account_id.in_(account_ids))
    pending_sums = dict(session.execute(pending).all())
    return {account_id: ((total or ZERO) - (pending_sums.get(account_id) or ZERO), pending_sums.get(account_id) or ZERO)
            for account_id, total in session.execute(totals)}


def account_summaries(session: Session, scope: Scope, include_closed: bool = True) -> list[AccountSummary]:
    """The scope's accounts with their transaction counts (read from the monthly totals) and computed balances."""
    counts = dict(session.execute(
        select(MonthlyTotal.account_id, func.sum(MonthlyTotal.transactions))
        .where(scope.rows(MonthlyTotal))
        .group_by(MonthlyTotal.account_id)
    ).all())
    query = select(Account).where(scope.accounts()).order_by(Account.type, Account.name)
    if not include_closed:
        query = query.where(Account.closed.is_(False))
    sums = row_sums(session, scope)
    return [AccountSummary(account, int(counts.get(account.id) or 0), *sums.get(account.id, (ZERO, ZERO)))
            for account in session.scalars(query)]


def account_summary(session: Session, scope: Scope, account: Account) -> AccountSummary:
    """One account's summary: the account page's balances."""
    posted, pending = row_sums(session, scope, [account.id]).get(account.id, (ZERO, ZERO))
    return AccountSummary(account, transaction_count(session, scope, account.id), posted, pending)


def transaction_count(session: Session, scope: Scope, account_id: int | None = None) -> int:
    """How many transactions the scope sees (in one account, or in all), from the monthly totals: no count(*)
    over millions."""
    query = select(func.coalesce(func.sum(MonthlyTotal.transactions), 0)).where(scope.rows(MonthlyTotal))
    if account_id is not None:
        query = query.where(MonthlyTotal.account_id == account_id)
    return int(session.scalar(query))


def totals_by_currency(summaries: list[AccountSummary]) -> list[CurrencyTotal]:
    """Computed balances summed per currency (currencies are never added together): a card or loan in debt
    has a negative balance, so the total is net worth. Nominal ledgers hold postings, not money."""
    grouped: dict[str, list[AccountSummary]] = defaultdict(list)
    for summary in summaries:
        if summary.account.type != AccountType.LEDGER:
            grouped[summary.account.currency].append(summary)
    return [
        CurrencyTotal(
            currency=currency,
            balance=sum((s.balance for s in members), ZERO),
            accounts=len(members),
            as_of=min((s.account.balance_as_of for s in members if s.account.balance_as_of), default=None),
            net=any(s.account.liability for s in members),
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
