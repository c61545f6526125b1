"""What the account pages show, as plain functions of a session and a :class:`~dashboard.access.Scope`."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, literal, select, type_coerce, union_all
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.accounts.transaction_queries import TableRow, TransactionFilter, transaction_page
from dashboard.models import Account, MonthlyTotal, Money, Transaction
from dashboard.models.accounts import AccountType, TransactionStatus
from dashboard.paging import Position

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


@dataclass(frozen=True)
class RowSums:
    """One account's rows summed: how many, and the posted and pending amounts."""

    transactions: int = 0
    posted: Decimal = ZERO
    pending: Decimal = ZERO


def row_sums(session: Session, scope: Scope, account_ids: list[int] | None = None) -> dict[int, RowSums]:
    """Each account's row count and (posted, pending) sums, exact: the monthly totals (every row) less the
    pending rows.

    Reads thousands of totals and the few pending rows (a partial index), never every row of a million, in one
    statement: on a busy server each round trip waits longer than these queries run.
    """
    net = type_coerce(func.sum(MonthlyTotal.income) - func.sum(MonthlyTotal.expense), Money)
    totals = (select(MonthlyTotal.account_id, literal(False).label("is_pending"),
                     func.sum(MonthlyTotal.transactions).label("transactions"), net.label("amount"))
              .where(scope.rows(MonthlyTotal)).group_by(MonthlyTotal.account_id))
    pending = (select(Transaction.account_id, literal(True), literal(0),
                      type_coerce(func.sum(Transaction.amount), Money))
               .where(scope.rows(Transaction), Transaction.status == TransactionStatus.PENDING)
               .group_by(Transaction.account_id))
    if account_ids is not None:
        totals = totals.where(MonthlyTotal.account_id.in_(account_ids))
        pending = pending.where(Transaction.account_id.in_(account_ids))
    found = session.execute(union_all(totals, pending)).all()
    pending_sums = {row.account_id: row.amount or ZERO for row in found if row.is_pending}
    sums = {}
    for row in found:
        if not row.is_pending:
            held = pending_sums.get(row.account_id, ZERO)
            sums[row.account_id] = RowSums(int(row.transactions or 0), (row.amount or ZERO) - held, held)
    return sums


def account_summaries(session: Session, scope: Scope, include_closed: bool = True) -> list[AccountSummary]:
    """The scope's accounts with their transaction counts (read from the monthly totals) and computed balances."""
    query = select(Account).where(scope.accounts()).order_by(Account.type, Account.name)
    if not include_closed:
        query = query.where(Account.closed.is_(False))
    sums = row_sums(session, scope)
    return [_summary(account, sums.get(account.id, RowSums())) for account in session.scalars(query)]


def account_summary(session: Session, scope: Scope, account: Account) -> AccountSummary:
    """One account's summary: the account page's balances."""
    return _summary(account, row_sums(session, scope, [account.id]).get(account.id, RowSums()))


def _summary(account: Account, sums: RowSums) -> AccountSummary:
    return AccountSummary(account, sums.transactions, sums.posted, sums.pending)


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


def latest_transactions(session: Session, scope: Scope, limit: int = 10) -> list[TableRow]:
    """The newest transactions across the scope's accounts, each with its account's name: the first page of the
    all-accounts table (plain rows, as that table reads them)."""
    return transaction_page(session, scope, TransactionFilter(), Position(), per_page=limit).rows
