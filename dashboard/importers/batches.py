"""Writing one import batch: its new transactions (through ledger.py), the stated balances, the audit event.

Each row's identity comes from ``identity.identified_transactions``; where
each statement goes from ``account_plans.plan_accounts``. Nothing here
commits: the caller commits once, so a file imports completely or not at
all. Duplicates are decided by the database's unique constraint on
(account_id, external_id), so concurrent imports of one file never duplicate.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from itertools import islice
from typing import BinaryIO

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from dashboard.access import WRITE, Scope
from dashboard.balances import open_from_import, record_opening_balance, record_stated_balance
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.importers.account_plans import clipped, further_account, plan_accounts, remember_file_account_id
from dashboard.importers.bank_csv import ColumnMapping
from dashboard.importers.identity import identified_transactions
from dashboard.importers.records import POSTED, ImportFileError, ParsedFile, ParsedStatement, ParsedTransaction
from dashboard.ledger import insert_transactions
from dashboard.models import Account, ImportBatch, Transaction
from dashboard.models.base import storable_amount
from dashboard.rules.application import Categoriser
from dashboard.similarity.store import index_pending

CHUNK_ROWS = 5_000


def import_parsed(session: Session, scope: Scope, actor: Actor, account: Account, parsed: ParsedFile,
                  filename: str, data: bytes | BinaryIO, mapping: ColumnMapping | None = None,
                  progress: Callable[[int, int], None] | None = None) -> ImportBatch:
    """Write one import batch and its new rows; the caller commits (or rolls back on any error).

    ``scope`` must grant WRITE on ``account`` (NotFound or Forbidden otherwise,
    before anything is written); the batch and its rows are the account's
    owner's, the audit event names ``actor`` apart from that owner.
    ``mapping``, when a CSV needed one, is remembered on the account for next
    time; ``progress`` is called after each chunk with the rows written so far
    (new and duplicate) and the rows read in all.
    """
    scope.check(account.owner_id, account.id, WRITE)
    if account.closed:
        raise ImportFileError(f"{account.name} is closed: reopen it to import into it")
    plans = plan_accounts(session, account, parsed)
    batch = ImportBatch(owner_id=account.owner_id, account_id=account.id, filename=(filename or "upload")[:255],
                        format=parsed.format, content_hash=content_hash(data),
                        rows_read=sum(plan.read for plan in plans))
    session.add(batch)
    session.flush()
    inserted = done = 0
    categoriser = Categoriser(session, account.owner_id)
    for plan in plans:
        target = plan.account or further_account(session, account, plan)
        if target is account and plan.file_account_id:
            remember_file_account_id(session, account, plan.file_account_id)
        first_rows = not session.scalar(select(exists().where(Transaction.account_id == target.id)))
        rows = (
            transaction_row(transaction, statement, external_id, target, batch.id)
            for transaction, statement, external_id in identified_transactions(plan.statements, target, parsed.format)
        )
        for chunk in chunks(rows, CHUNK_ROWS):
            written = insert_transactions(session, categoriser.kept_rows(chunk, target.name))
            plan.new += written
            inserted += written
            done += len(chunk)
            if progress is not None:
                progress(done, batch.rows_read)
        openings = [record_opening_balance(session, target, statement.opening_date, statement.opening_balance,
                                           batch.id) for statement in plan.statements if statement.opening_date]
        stated = [record_balance(session, target, statement, batch.id) for statement in plan.statements]
        stated = [s for s in stated if s is not None]
        if plan.new:
            open_from_import(session, target, batch.id, first_rows, openings + stated)
    categoriser.finish()
    batch.rows_inserted = inserted
    batch.rows_duplicate = batch.rows_read - inserted - categoriser.skipped  # the rest were skipped by a rule
    if mapping is not None:
        account.csv_mapping = mapping.to_dict()
    index_pending(session)  # before the event: its chain lock is held from here to the commit
    record_event(session, AuditAction.IMPORT_CREATE, actor, owner_id=account.owner_id,
                 target=f"import_batch:{batch.id}",
                 details={"filename": batch.filename, "format": batch.format, "account_id": account.id,
                          "read": batch.rows_read, "inserted": inserted, "duplicates": batch.rows_duplicate,
                          "skipped": categoriser.skipped})
    session.flush()
    return batch


def record_balance(session: Session, account: Account, statement: ParsedStatement, batch_id: int):
    """Keep the balance the statement states (if any) for reconciliation; the account shows the newest kept."""
    as_of = _naive_utc(statement.balance_as_of)
    if as_of is None:
        return None
    return record_stated_balance(session, account, as_of, statement.ledger_balance, statement.available_balance,
                                 batch_id)


def content_hash(data: bytes | BinaryIO) -> str:
    """What tells the same file's bytes apart from any other's: a batch stores it, the preview looks it up.

    An open file is read in pieces from its start.
    """
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    data.seek(0)
    return hashlib.file_digest(data, "sha256").hexdigest()


def row_currency(transaction: ParsedTransaction, statement: ParsedStatement, account: Account) -> str:
    """The row's currency, else its statement's, else the account's."""
    return (transaction.currency or statement.currency or account.currency).strip().upper()[:3]


def chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def transaction_row(transaction: ParsedTransaction, statement: ParsedStatement, external_id: str,
                    account: Account, batch_id: int | None) -> dict:
    return {
        "owner_id": account.owner_id, "account_id": account.id, "external_id": external_id,
        "date": transaction.date, "amount": transaction.amount,
        "currency": row_currency(transaction, statement, account), "status": transaction.status or POSTED,
        "note": transaction.memo, "batch_id": batch_id,
        "description": (transaction.description or "")[:500],
        "counterparty": clipped(transaction.counterparty, 255),
        "category": clipped(transaction.category, 120),
        "nominal_code": clipped(transaction.nominal_code, 16),
        "stated_balance": _storable(transaction.balance),
    }


def _storable(balance: Decimal | None) -> Decimal | None:
    """A row's running balance as a Money column holds it; one it cannot hold is not kept (it checks nothing)."""
    return balance if balance is not None and storable_amount(balance) else None


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)
