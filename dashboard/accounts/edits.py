"""What a user changes by hand in transactions: add, edit, delete (and undo it), categorise.

Every change goes through the ledger so the monthly totals stay exact. Each
service takes the session, the scope it may act in, the actor (who acts, from
where) and plain values; its audit events name the actor apart from the owner
of the data. The web pages call these, and so may the JSON API.
"""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.access import WRITE, Scope, storable_id
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.ledger import SplitError, delete_transactions, insert_transactions, set_splits, update_transactions
from dashboard.models import Account, AuditEvent, StatedBalance, Transaction, TransactionSplit
from dashboard.models.accounts import TransactionSource, TransactionStatus
from dashboard.rules.application import categorise_edit, categorise_entry

TEXT_FIELDS = {"description": 500, "category": 120, "counterparty": 255, "note": 2000}
FIELDS = ("date", "description", "amount", "status", *tuple(TEXT_FIELDS)[1:])
FIXED_UNLESS_MANUAL = ("date", "amount", "status")
# Rows a person typed in, on a page or through the API: every field may change and the row may be deleted.
ENTERED_BY_HAND = (TransactionSource.MANUAL, TransactionSource.API)


class TransactionError(ValueError):
    """A change refused for a reason the user can fix; the message says which."""


class NeedsConfirmation(TransactionError):
    """The row lies in a period the user marked reconciled: ask before changing it."""


def _clean(values: dict) -> dict:
    cleaned = {}
    for field, value in values.items():
        if field not in FIELDS:
            raise TransactionError(f"{field} cannot be set on a transaction.")
        if field in TEXT_FIELDS:
            value = (value or "").strip()[:TEXT_FIELDS[field]] or None
            if field == "description":
                value = value or ""
        elif field == "amount":
            value = Decimal(value)
            if value == 0:
                raise TransactionError("A transaction needs an amount: money in or money out.")
        elif field == "status":
            value = TransactionStatus(value).value
        elif field == "date" and not isinstance(value, date):
            raise TransactionError("A transaction needs a date.")
        cleaned[field] = value
    return cleaned


def reconciled_through(session: Session, account_id: int) -> date | None:
    """The last day of the periods the user marked reconciled in this account, if any."""
    return session.scalar(select(func.max(StatedBalance.date)).where(
        StatedBalance.account_id == account_id, StatedBalance.reconciled_at.is_not(None)))


def add_transaction(session: Session, scope: Scope, actor: Actor, account: Account, values: dict,
                    source: TransactionSource = TransactionSource.MANUAL) -> Transaction:
    """A transaction entered by hand (``values``: date, amount, description, and optionally category,
    counterparty, note, status) in an account the scope may write, on a page or (``source`` API) through the
    API; audited."""
    scope.check(account.owner_id, account.id, WRITE)
    if account.closed:
        raise TransactionError(f"{account.name} is closed: reopen it to add transactions.")
    cleaned = _clean(values)
    if "date" not in cleaned or "amount" not in cleaned:
        raise TransactionError("A transaction needs a date and an amount.")
    external_id = f"{source}-{uuid.uuid4().hex}"
    entry = {
        "owner_id": account.owner_id, "account_id": account.id, "external_id": external_id,
        "currency": account.currency, "status": TransactionStatus.POSTED.value, "description": "",
        "category": None, "counterparty": None, "note": None, **cleaned,
        "source": TransactionSource(source).value,
    }
    if source == TransactionSource.API:
        categorise_entry(session, account, entry, given=[name for name, value in cleaned.items() if value])
    insert_transactions(session, [entry])
    row = session.scalar(select(Transaction).where(Transaction.account_id == account.id,
                                                   Transaction.external_id == external_id))
    record_event(session, AuditAction.TRANSACTION_ADD, actor, owner_id=row.owner_id, target=f"transaction:{row.id}",
                 details=_snapshot(row))
    return row


def update_transaction(session: Session, scope: Scope, actor: Actor, transaction: Transaction, values: dict,
                       confirmed: bool = False, run_rules: bool = False) -> dict:
    """Change fields of a transaction the scope may write; returns {field: [old, new]} (audited).

    Imported and synced rows keep their date, amount and status (their source
    stated them); a row in a reconciled period changes only when ``confirmed``.
    With ``run_rules`` (an API write) a change of description, counterparty or
    amount runs the owner's rules again for the fields ``values`` leaves out.
    """
    scope.check(transaction.owner_id, transaction.account_id, WRITE)
    cleaned = _clean(values)
    if run_rules:
        cleaned = categorise_edit(session, transaction, cleaned)
    changes = {field: [getattr(transaction, field), value] for field, value in cleaned.items()
               if getattr(transaction, field) != value}
    if not changes:
        return {}
    fixed = [field for field in FIXED_UNLESS_MANUAL if field in changes]
    if fixed and transaction.source not in ENTERED_BY_HAND:
        raise TransactionError(f"This row came from {transaction.source}: its {' and '.join(fixed)} stay as stated.")
    through = reconciled_through(session, transaction.account_id)
    if not confirmed and through is not None and min(transaction.date, cleaned.get("date", transaction.date)) <= through:
        raise NeedsConfirmation(f"This row is in a period you reconciled (up to {through.isoformat()}).")
    try:
        update_transactions(session, scope, [transaction.id], **{field: new for field, (_, new) in changes.items()})
    except SplitError as error:
        raise TransactionError(str(error)) from None
    session.refresh(transaction)
    record_event(session, AuditAction.TRANSACTION_EDIT, actor, owner_id=transaction.owner_id,
                 target=f"transaction:{transaction.id}",
                 details={field: [_plain(old), _plain(new)] for field, (old, new) in changes.items()})
    return changes


def delete_transaction(session: Session, scope: Scope, actor: Actor, transaction: Transaction) -> AuditEvent:
    """Delete one row the scope may write; the audit event keeps it whole, so ``restore_transaction`` can undo."""
    scope.check(transaction.owner_id, transaction.account_id, WRITE)
    snapshot = _snapshot(transaction)
    parts = session.execute(select(TransactionSplit.amount, TransactionSplit.category, TransactionSplit.note)
                            .where(TransactionSplit.transaction_id == transaction.id)
                            .order_by(TransactionSplit.position)).all()
    if parts:  # kept with the row, so the undo brings the split back too
        snapshot["splits"] = [[str(amount), category, note] for amount, category, note in parts]
    target = f"transaction:{transaction.id}"
    delete_transactions(session, scope, [transaction.id])
    session.expunge(transaction)
    event = record_event(session, AuditAction.TRANSACTION_DELETE, actor, owner_id=snapshot["owner_id"],
                         target=target, details=snapshot)
    session.flush()
    return event


def restore_transaction(session: Session, scope: Scope, actor: Actor, event_id: int) -> Transaction | None:
    """Undo a deletion: put the row back from its deletion's audit event, with its identity (external id);
    None when there is nothing to restore (no such deletion, or the row is back already)."""
    event = session.get(AuditEvent, event_id) if storable_id(event_id) else None
    if event is None or event.action != AuditAction.TRANSACTION_DELETE or not event.details:
        return None
    row = dict(event.details)
    scope.check(row["owner_id"], row["account_id"], WRITE)
    row["date"] = date.fromisoformat(row["date"])
    row["amount"] = Decimal(row["amount"])
    row.pop("id")
    parts = row.pop("splits", [])
    if not insert_transactions(session, [row]):
        return None
    restored = session.scalar(select(Transaction).where(Transaction.account_id == row["account_id"],
                                                        Transaction.external_id == row["external_id"]))
    if parts:
        set_splits(session, scope, restored.id, [(Decimal(amount), category, note) for amount, category, note in parts])
    record_event(session, AuditAction.TRANSACTION_RESTORE, actor, owner_id=restored.owner_id,
                 target=f"transaction:{restored.id}", details={"deletion": event.id})
    return restored


SNAPSHOT = ("id", "owner_id", "account_id", "external_id", "date", "description", "amount", "currency", "status",
            "category", "counterparty", "nominal_code", "note", "batch_id", "source")


def _snapshot(row: Transaction) -> dict:
    return {field: _plain(getattr(row, field)) for field in SNAPSHOT}


def _plain(value):
    """A value as JSON keeps it: dates ISO, money as a decimal string."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def edit_transaction(session: Session, scope: Scope, actor: Actor, transaction: Transaction, category: str | None,
                     note: str | None) -> bool:
    """Set the category and note of a transaction the scope may write; audit what changed.

    Returns whether anything did.
    """
    scope.check(transaction.owner_id, transaction.account_id, WRITE)
    category = (category or "").strip() or None
    note = (note or "").strip() or None
    changes = {}
    if category != transaction.category:
        changes["category"] = [transaction.category, category]
        update_transactions(session, scope, [transaction.id], category=category)
    if note != transaction.note:
        changes["note"] = [transaction.note, note]
        update_transactions(session, scope, [transaction.id], note=note)  # the note is searched too
    if changes:
        session.flush()
        session.refresh(transaction)
        record_event(session, AuditAction.TRANSACTION_EDIT, actor, owner_id=transaction.owner_id,
                     target=f"transaction:{transaction.id}", details=changes)
    return bool(changes)
