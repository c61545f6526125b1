"""What a user changes by hand: a new account, a transaction's category and note.

Category changes go through the ledger so the monthly totals stay right. Each
service takes the scope it may act in and the actor (who acts, from where);
its audit events name the actor apart from the owner of the data.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.access import WRITE, Scope, transaction_ids_or_404
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.ledger import update_transactions
from dashboard.models import Account, Transaction
from dashboard.models.accounts import AccountSource


def open_account(session: Session, scope: Scope, actor: Actor, name: str, type: str, currency: str,
                 institution: str | None = None, last_four: str | None = None) -> Account:
    """A new manual account for the scope's owner, audited; the caller commits."""
    account = Account(owner_id=scope.owner_id, name=name.strip(), type=type, currency=currency.upper(),
                      institution=(institution or "").strip() or None, last_four=last_four or None,
                      source=AccountSource.MANUAL)
    session.add(account)
    session.flush()
    record_event(session, AuditAction.ACCOUNT_CREATE, actor, owner_id=account.owner_id,
                 target=f"account:{account.id}", details={"name": account.name, "currency": account.currency})
    return account


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
        transaction.note = note
    if changes:
        session.flush()
        session.refresh(transaction)
        record_event(session, AuditAction.TRANSACTION_EDIT, actor, owner_id=transaction.owner_id,
                     target=f"transaction:{transaction.id}", details=changes)
    return bool(changes)


def categorise_transactions(session: Session, scope: Scope, actor: Actor, transaction_ids: list[int],
                            category: str | None) -> int:
    """Set one category on several rows the scope may write; 404 (or 403) when any may not, changing nothing.

    One audit event per owner whose rows changed, so each event names whose data it was.
    """
    ids = transaction_ids_or_404(session, scope, transaction_ids, need=WRITE)
    category = (category or "").strip() or None
    changed = update_transactions(session, scope, ids, category=category)
    by_owner: dict[int, list[int]] = defaultdict(list)
    for transaction_id, owner_id in session.execute(
            select(Transaction.id, Transaction.owner_id).where(Transaction.id.in_(ids)).order_by(Transaction.id)):
        by_owner[owner_id].append(transaction_id)
    for owner_id, owned in by_owner.items():
        record_event(session, AuditAction.TRANSACTION_CATEGORISE, actor, owner_id=owner_id,
                     target=f"transactions:{len(owned)}", details={"ids": owned, "category": category})
    return changed
