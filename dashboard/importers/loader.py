"""Turning a parsed file into transactions: identity, preview, import and undo.

Each row's identity comes from ``identity.identified_transactions``.

Several accounts in one file (a QuickBooks .qbo, a multi-account OFX or QIF):
the account the user chose takes the statement whose file account id it
already carries, otherwise the first statement no other account of the user
carries; every further file account goes to the user's account with that
external id, or to a new account named "<chosen name> ···<last four>". The
chosen account remembers the file's id for it, so the next month's file lands
the same way whatever the statement order. The batch belongs to the chosen
account and undoing it removes its rows from every account.

Nothing here commits: the caller commits once, so a file imports completely
or not at all. Duplicates are decided by the database's unique constraint on
(account_id, external_id), so concurrent imports of one file never duplicate.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from itertools import islice

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.audit import Actor, AuditAction, record_event
from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded
from dashboard.importers.detect import parse_file
from dashboard.importers.identity import MAX_EXTERNAL_ID, identified_transactions
from dashboard.importers.records import POSTED, ImportFileError, ParsedFile, ParsedStatement, ParsedTransaction
from dashboard.ledger import delete_batch_transactions, insert_transactions
from dashboard.models import Account, ImportBatch, Transaction
from dashboard.models.base import utcnow

PREVIEW_ROWS = 20
CHUNK_ROWS = 5_000


class BatchNotFound(LookupError):
    pass


class BatchAlreadyUndone(ValueError):
    pass


@dataclass
class AccountPlan:
    """Where one of the file's accounts goes: an existing account, or one the import creates."""

    name: str
    account: Account | None  # None: created by the import
    file_account_id: str | None
    statements: list[ParsedStatement] = field(default_factory=list)
    read: int = 0
    new: int = 0

    @property
    def duplicates(self) -> int:
        return self.read - self.new

    @property
    def foreign_currencies(self) -> list[str]:
        """Currencies the file states for this account that differ from the account's own."""
        if self.account is None:
            return []
        stated = {s.currency.upper() for s in self.statements if s.currency}
        stated |= {t.currency.upper() for s in self.statements for t in s.transactions if t.currency}
        return sorted(stated - {self.account.currency})


@dataclass
class PreviewRow:
    date: date
    description: str
    amount: Decimal
    currency: str
    status: str
    account_name: str
    is_new: bool
    line: int | None


@dataclass
class Preview:
    format: str
    encoding: str | None
    details: dict[str, str]
    rows: list[PreviewRow]
    accounts: list[AccountPlan]
    previous_import: ImportBatch | None  # the same bytes imported into this account before

    @property
    def read(self) -> int:
        return sum(plan.read for plan in self.accounts)

    @property
    def new(self) -> int:
        return sum(plan.new for plan in self.accounts)

    @property
    def duplicates(self) -> int:
        return self.read - self.new

    @property
    def currency_warnings(self) -> list[str]:
        """A file in another currency than the account usually means the wrong account was chosen."""
        return [
            f"The file states {', '.join(plan.foreign_currencies)} but {plan.name} is in {plan.account.currency}; "
            "its amounts are kept in the file's currency."
            for plan in self.accounts if plan.foreign_currencies
        ]


def parse_upload(data: bytes, filename: str = "", format: str = "auto", mapping: ColumnMapping | None = None,
                 saved_mapping: dict | None = None) -> tuple[ParsedFile, ColumnMapping | None]:
    """Parse a file; when a CSV needs a mapping and none is given, try the account's saved one.

    Returns the file and the mapping that read it. When the saved mapping does
    not fit this file (an error, or no row read), the :class:`MappingNeeded` is raised.
    """
    try:
        return parse_file(data, filename, format, mapping), mapping
    except MappingNeeded as needed:
        if mapping is not None or not saved_mapping:
            raise
        try:
            saved = ColumnMapping.from_dict(saved_mapping)
            parsed = parse_file(data, filename, format, saved)
        except (ImportFileError, ValueError, TypeError):
            raise needed from None
        if not parsed.transactions:  # it read no row of this file: another layout
            raise needed
        return parsed, saved


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plan_accounts(session: Session, owner_id: int, account: Account, parsed: ParsedFile) -> list[AccountPlan]:
    """Which account each statement goes to (see the module docstring); writes nothing."""
    keys = list(dict.fromkeys(file_id for s in parsed.statements if (file_id := _file_account_id(s))))
    targets: dict[str | None, Account | None] = {None: account}
    if len(keys) == 1:
        targets[keys[0]] = account
    elif keys:
        known = {a.external_id: a for a in session.scalars(
            select(Account).where(Account.owner_id == owner_id, Account.external_id.in_(keys)).order_by(Account.id)
        ) if a.id != account.id}
        chosen_taken = account.external_id in keys
        for key in keys:
            if key == account.external_id:
                targets[key] = account
            elif key in known:
                targets[key] = known[key]
            elif not chosen_taken:
                targets[key], chosen_taken = account, True
            else:
                targets[key] = None
    plans: dict[object, AccountPlan] = {}
    for statement in parsed.statements:
        file_id = _file_account_id(statement)
        target = targets[file_id]
        plan_key = target.id if target is not None else file_id
        if plan_key not in plans:
            name = target.name if target is not None else new_account_name(account.name, file_id)
            plans[plan_key] = AccountPlan(name, target, file_id)
        plans[plan_key].statements.append(statement)
        plans[plan_key].read += len(statement.transactions)
    return list(plans.values())


def new_account_name(chosen_name: str, file_account_id: str) -> str:
    """ "Checking ···9041" for a numbered account; "Checking · Cash" for a named one (QIF)."""
    plain = re.sub(r"\W", "", file_account_id)
    if any(character.isdigit() for character in plain):
        return f"{chosen_name} ···{plain[-4:]}"[:120]
    return f"{chosen_name} · {file_account_id}"[:120]


def preview_import(session: Session, owner_id: int, account: Account, parsed: ParsedFile,
                   data: bytes | None = None) -> Preview:
    """What importing would do: the first rows, and how many are new or duplicates. Writes nothing."""
    _check_owner(account, owner_id)
    plans = plan_accounts(session, owner_id, account, parsed)
    rows: list[PreviewRow] = []
    for plan in plans:
        for chunk in _chunks(identified_transactions(plan.statements, plan.account, parsed.format), CHUNK_ROWS):
            existing = _existing_ids(session, plan.account, [external_id for _, _, external_id in chunk])
            plan.new += sum(1 for _, _, external_id in chunk if external_id not in existing)
            for transaction, statement, external_id in chunk[:PREVIEW_ROWS - len(rows)]:
                rows.append(PreviewRow(
                    transaction.date, transaction.description, transaction.amount,
                    _currency(transaction, statement, plan.account or account), transaction.status,
                    plan.name, external_id not in existing, transaction.line,
                ))
    previous = None
    if data is not None:
        previous = session.scalar(
            select(ImportBatch)
            .where(ImportBatch.owner_id == owner_id, ImportBatch.account_id == account.id,
                   ImportBatch.content_hash == content_hash(data), ImportBatch.undone_at.is_(None))
            .order_by(ImportBatch.id.desc()).limit(1)
        )
    return Preview(parsed.format, parsed.encoding, dict(parsed.details), rows, plans, previous)


def import_parsed(session: Session, owner_id: int, account: Account, parsed: ParsedFile, filename: str,
                  data: bytes, mapping: ColumnMapping | None = None,
                  progress: Callable[[int], None] | None = None, remote_addr: str | None = None) -> ImportBatch:
    """Write one import batch and its new rows; the caller commits (or rolls back on any error).

    ``mapping``, when a CSV needed one, is remembered on the account for next
    time; ``progress`` is called with the number of rows after each chunk.
    """
    _check_owner(account, owner_id)
    plans = plan_accounts(session, owner_id, account, parsed)
    batch = ImportBatch(owner_id=owner_id, account_id=account.id, filename=(filename or "upload")[:255],
                        format=parsed.format, content_hash=content_hash(data),
                        rows_read=sum(plan.read for plan in plans))
    session.add(batch)
    session.flush()
    inserted = 0
    for plan in plans:
        target = plan.account or _file_account(session, owner_id, account, plan)
        if target is account and plan.file_account_id:
            _remember_file_account_id(session, owner_id, account, plan.file_account_id)
        rows = (
            _transaction_row(transaction, statement, external_id, target, batch.id)
            for transaction, statement, external_id in identified_transactions(plan.statements, target, parsed.format)
        )
        for chunk in _chunks(rows, CHUNK_ROWS):
            written = insert_transactions(session, chunk)
            plan.new += written
            inserted += written
            if progress is not None:
                progress(len(chunk))
        for statement in plan.statements:
            update_balances(target, statement)
    batch.rows_inserted = inserted
    batch.rows_duplicate = batch.rows_read - inserted
    if mapping is not None:
        account.csv_mapping = mapping.to_dict()
    record_event(session, AuditAction.IMPORT_CREATE, Actor(owner_id, remote_addr), owner_id=owner_id,
                 target=f"import_batch:{batch.id}",
                 details={"filename": batch.filename, "format": batch.format, "account_id": account.id,
                          "read": batch.rows_read, "inserted": inserted, "duplicates": batch.rows_duplicate})
    session.flush()
    return batch


def undo_batch(session: Session, owner_id: int, batch_id: int, remote_addr: str | None = None) -> int:
    """Remove exactly the batch's rows (in every account it wrote to); returns how many. Audited."""
    batch = session.scalar(
        select(ImportBatch).where(ImportBatch.id == batch_id, ImportBatch.owner_id == owner_id).with_for_update()
    )
    if batch is None:
        raise BatchNotFound(f"no import {batch_id}")
    if batch.undone_at is not None:
        raise BatchAlreadyUndone(f"the import of {batch.filename} was undone already")
    removed = delete_batch_transactions(session, batch)
    batch.undone_at = utcnow()
    record_event(session, AuditAction.IMPORT_UNDO, Actor(owner_id, remote_addr), owner_id=owner_id,
                 target=f"import_batch:{batch.id}",
                 details={"filename": batch.filename, "account_id": batch.account_id, "removed": removed})
    session.flush()
    return removed


def account_batches(session: Session, owner_id: int, account_id: int, limit: int = 50) -> list[ImportBatch]:
    """The account's imports, newest first, for the account page's list with undo buttons."""
    return list(session.scalars(
        select(ImportBatch)
        .where(ImportBatch.owner_id == owner_id, ImportBatch.account_id == account_id)
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    ))


def account_for_import(session: Session, owner_id: int, name: str, parsed: ParsedFile,
                       default_currency: str = "USD") -> Account:
    """The owner's account called ``name``, or a new one shaped by the file's first statement.

    Its currency is the file's, else ``default_currency``.
    """
    account = session.scalar(
        select(Account).where(Account.owner_id == owner_id, Account.name == name).order_by(Account.id).limit(1)
    )
    if account is not None:
        return account
    first = parsed.statements[0] if parsed.statements else ParsedStatement()
    currency = next((t.currency for t in first.transactions if t.currency), default_currency)
    account = _new_file_account(owner_id, name, first, account_type="checking", institution=None,
                                currency=currency)
    session.add(account)
    session.flush()
    return account


def update_balances(account: Account, statement: ParsedStatement) -> None:
    """Take the statement's balances unless the account already has newer ones."""
    as_of = _naive_utc(statement.balance_as_of)
    if as_of is None or (statement.ledger_balance is None and statement.available_balance is None):
        return
    if account.balance_as_of is not None and as_of < account.balance_as_of:
        return
    if statement.ledger_balance is not None:
        account.ledger_balance = statement.ledger_balance
    if statement.available_balance is not None:
        account.available_balance = statement.available_balance
    account.balance_as_of = as_of


# Writing

def _transaction_row(transaction: ParsedTransaction, statement: ParsedStatement, external_id: str,
                     account: Account, batch_id: int) -> dict:
    return {
        "owner_id": account.owner_id, "account_id": account.id, "external_id": external_id,
        "date": transaction.date, "amount": transaction.amount,
        "currency": _currency(transaction, statement, account), "status": transaction.status or POSTED,
        "note": transaction.memo, "batch_id": batch_id,
        "description": (transaction.description or "")[:500],
        "counterparty": _clipped(transaction.counterparty, 255),
        "category": _clipped(transaction.category, 120),
        "nominal_code": _clipped(transaction.nominal_code, 16),
    }


def _clipped(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None


def _currency(transaction: ParsedTransaction, statement: ParsedStatement, account: Account) -> str:
    return (transaction.currency or statement.currency or account.currency).strip().upper()[:3]


def _file_account(session: Session, owner_id: int, chosen: Account, plan: AccountPlan) -> Account:
    """Create the account for a further statement; a concurrent import may have just created it."""
    new = _new_file_account(owner_id, plan.name, plan.statements[0], account_type=chosen.type,
                            institution=chosen.institution, currency=chosen.currency,
                            file_account_id=plan.file_account_id)
    try:
        with session.begin_nested():
            session.add(new)
    except IntegrityError:
        return session.scalars(select(Account).where(
            Account.owner_id == owner_id, Account.source == "file", Account.external_id == plan.file_account_id,
        )).one()
    return new


def _new_file_account(owner_id: int, name: str, statement: ParsedStatement, account_type: str,
                      institution: str | None, currency: str, file_account_id: str | None = None) -> Account:
    """An account shaped by the statement, else by the given values; the file's text cut to fit the columns."""
    return Account(owner_id=owner_id, name=name, source="file", external_id=file_account_id,
                   type=(statement.account_type or account_type)[:32],
                   institution=_clipped(statement.institution or institution, 120),
                   currency=(statement.currency or currency).strip().upper()[:3],
                   last_four=_last_four(file_account_id))


def _file_account_id(statement: ParsedStatement) -> str | None:
    """The statement's account id as an account stores it; of one longer than the column, the end, which
    tells account numbers apart and gives the last four digits."""
    return statement.account_id[-MAX_EXTERNAL_ID:] if statement.account_id else None


def _last_four(file_account_id: str | None) -> str | None:
    return re.sub(r"\W", "", file_account_id or "")[-4:] or None


def _remember_file_account_id(session: Session, owner_id: int, account: Account, file_account_id: str) -> None:
    if account.external_id is not None:
        return
    taken = session.scalar(select(Account.id).where(
        Account.owner_id == owner_id, Account.external_id == file_account_id).limit(1))
    if taken is None:
        account.external_id = file_account_id
        account.last_four = account.last_four or _last_four(file_account_id)


def _existing_ids(session: Session, account: Account | None, external_ids: list[str]) -> set[str]:
    if account is None or not external_ids:
        return set()
    return set(session.scalars(select(Transaction.external_id).where(
        Transaction.account_id == account.id, Transaction.external_id.in_(external_ids))))


def _chunks(items, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _check_owner(account: Account, owner_id: int) -> None:
    if account.owner_id != owner_id:
        raise PermissionError("that account belongs to someone else")


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)
