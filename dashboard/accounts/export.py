"""Transactions as CSV: one writer for the web download and ``flask export``."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import case
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.accounts.queries import AccountSummary
from dashboard.accounts.transaction_queries import (
    TransactionFilter,
    filtered_transactions,
    ordered,
)
from dashboard.downloads import csv_lines
from dashboard.formatting import plain_amount
from dashboard.models import Account, Transaction, User

EXPORT_HEADER = ("account", "date", "description", "amount", "currency", "status", "category",
                 "counterparty", "external_id", "shared_by")
ACCOUNTS_HEADER = ("name", "type", "currency", "ledger_balance", "available_balance", "balance_as_of",
                   "transactions", "balance", "pending", "opening_balance", "closed")
STREAM_BATCH = 2000


def export_rows(session: Session, scope: Scope, filters: TransactionFilter) -> Iterator[tuple]:
    """The rows a page with ``filters`` shows, all of them, in its order, streamed from the database."""
    query = filtered_transactions(scope, filters).with_only_columns(
        Account.name, Transaction.date, Transaction.description, Transaction.amount, Transaction.currency,
        Transaction.status, Transaction.category, Transaction.counterparty, Transaction.external_id,
        case((Account.owner_id == scope.user_id, ""), else_=User.email),  # whose account, when not the user's
    ).join(Account, Account.id == Transaction.account_id).join(User, User.id == Account.owner_id)
    yield from session.execute(ordered(query, filters).execution_options(yield_per=STREAM_BATCH))


def transaction_csv(rows: Iterable[tuple]) -> Iterator[str]:
    """Export rows as CSV: ISO dates, plain decimal amounts (negative for money out), empty for none."""
    return csv_lines(EXPORT_HEADER, (
        (account, day.isoformat(), description, plain_amount(amount), currency, status, category or "",
         counterparty or "", external_id, shared_by)
        for account, day, description, amount, currency, status, category, counterparty, external_id, shared_by
        in rows
    ))


def accounts_csv(summaries: Iterable[AccountSummary]) -> Iterator[str]:
    """Accounts with the stated balances (empty when none), their transaction counts and the computed
    balance (opening balance + posted rows), as plain decimals."""
    return csv_lines(ACCOUNTS_HEADER, (
        (s.account.name, s.account.type, s.account.currency, plain_amount(s.account.ledger_balance),
         plain_amount(s.account.available_balance),
         s.account.balance_as_of.isoformat() if s.account.balance_as_of else "", s.transactions,
         plain_amount(s.balance), plain_amount(s.pending), plain_amount(s.account.opening_balance),
         "yes" if s.account.closed else "")
        for s in summaries
    ))
