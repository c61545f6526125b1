"""Transactions as CSV: one writer for the web download and ``flask export``.

A split transaction is written as one line per part (the part's amount and category, the transaction's
external id with ``#`` and the part's number), so the export still sums to the account's total.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import and_, case, func
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.accounts.queries import AccountSummary
from dashboard.accounts.transaction_queries import (
    TransactionFilter,
    filtered_transactions,
    ordered,
    part_in_category,
)
from dashboard.downloads import csv_lines, xlsx_workbook
from dashboard.formatting import plain_amount
from dashboard.models import Account, Transaction, TransactionSplit, User

EXPORT_HEADER = ("account", "date", "description", "amount", "currency", "status", "category",
                 "counterparty", "external_id", "note", "nominal_code", "shared_by")
ACCOUNTS_HEADER = ("name", "type", "currency", "ledger_balance", "available_balance", "balance_as_of",
                   "transactions", "balance", "pending", "opening_balance", "closed")
STREAM_BATCH = 2000


def export_rows(session: Session, scope: Scope, filters: TransactionFilter) -> Iterator[tuple]:
    """The rows a page with ``filters`` shows, all of them, in its order, streamed from the database; under a
    category filter, a split row writes only its parts in that category."""
    split = TransactionSplit.id.is_not(None)
    query = filtered_transactions(scope, filters).with_only_columns(
        Account.name, Transaction.date, Transaction.description,
        func.coalesce(TransactionSplit.amount, Transaction.amount), Transaction.currency,
        Transaction.status, case((split, TransactionSplit.category), else_=Transaction.category),
        Transaction.counterparty, Transaction.external_id,
        case((split, TransactionSplit.note), else_=Transaction.note), Transaction.nominal_code,
        case((Account.owner_id == scope.user_id, ""), else_=User.email),  # whose account, when not the user's
        TransactionSplit.position,
    ).join(Account, Account.id == Transaction.account_id).join(User, User.id == Account.owner_id).outerjoin(
        TransactionSplit, and_(TransactionSplit.transaction_id == Transaction.id, part_in_category(filters)))
    ordered_query = ordered(query, filters).order_by(TransactionSplit.position)
    yield from session.execute(ordered_query.execution_options(yield_per=STREAM_BATCH))


def transaction_csv(rows: Iterable[tuple]) -> Iterator[str]:
    """Export rows as CSV: ISO dates, plain decimal amounts (negative for money out), empty for none."""
    return csv_lines(*transaction_table(rows))


def transaction_xlsx(rows: Iterable[tuple], title: str) -> bytes:
    """The same table as :func:`transaction_csv`, as a workbook with real numbers and dates."""
    return xlsx_workbook(*transaction_table(rows), title=title)


def transaction_table(rows: Iterable[tuple]) -> tuple[tuple[str, ...], Iterator[tuple]]:
    """The export's header and its rows as text cells, for either file type; one line per part of a split
    transaction, whose external id ends in ``#`` and the part's number."""
    return EXPORT_HEADER, (
        (account, day.isoformat(), description, plain_amount(amount), currency, status, category or "",
         counterparty or "", external_id if part is None else f"{external_id}#{part}", note or "",
         nominal_code or "", shared_by)
        for account, day, description, amount, currency, status, category, counterparty, external_id, note,
        nominal_code, shared_by, part in rows
    )


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
