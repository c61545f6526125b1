"""What a user changes by hand: a new account, a transaction's category and note.

Category changes go through the ledger so the monthly totals stay right.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.accounts.queries import storable_id
from dashboard.access import Scope
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.ledger import update_transactions
from dashboard.models import Account, Transaction


def open_account(session: Session, owner_id: int, name: str, type: str, currency: str,
                 institution: str | None = None, last_four: str | None = None,
                 remote_addr: str | None = None) -> Account:
    """A new manual account for the owner, audited; the caller commits."""
    account = Account(owner_id=owner_id, name=name.strip(), type=type, currency=currency.upper(),
                      institution=(institution or "").strip() or None, last_four=last_four or None, source="manual")
    session.add(account)
    session.flush()
    record_event(session, AuditAction.ACCOUNT_CREATE, Actor(owner_id, remote_addr), owner_id=owner_id,
                 target=f"account:{account.id}", details={"name": account.name, "currency": account.currency})
    return account


def edit_transaction(session: Session, owner_id: int, transaction: Transaction, category: str | None,
                     note: str | None, remote_addr: str | None = None) -> bool:
    """Set the category and note; audit what changed. Returns whether anything did."""
    category = (category or "").strip() or None
    note = (note or "").strip() or None
    changes = {}
    if category != transaction.category:
        changes["category"] = [transaction.category, category]
        update_transactions(session, Scope.of_user(owner_id), [transaction.id], category=category)
    if note != transaction.note:
        changes["note"] = [transaction.note, note]
        transaction.note = note
    if changes:
        session.flush()
        session.refresh(transaction)
        record_event(session, AuditAction.TRANSACTION_EDIT, Actor(owner_id, remote_addr), owner_id=owner_id,
                     target=f"transaction:{transaction.id}", details=changes)
    return bool(changes)


def categorise_transactions(session: Session, owner_id: int, transaction_ids: list[int], category: str | None,
                            remote_addr: str | None = None) -> int:
    """Set one category on several of the owner's rows; 404 when any id is not theirs, changing nothing."""
    ids = sorted(set(transaction_ids))
    if not all(storable_id(i) for i in ids):
        abort(404)
    owned = set(session.scalars(
        select(Transaction.id).where(Transaction.owner_id == owner_id, Transaction.id.in_(ids))
    ))
    if len(owned) != len(ids):
        abort(404)
    category = (category or "").strip() or None
    changed = update_transactions(session, Scope.of_user(owner_id), ids, category=category)
    record_event(session, AuditAction.TRANSACTION_CATEGORISE, Actor(owner_id, remote_addr), owner_id=owner_id,
                 target=f"transactions:{len(ids)}", details={"ids": ids, "category": category})
    return changed
