"""Splitting a transaction across categories: the parts a user enters, checked and written through the ledger."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.access import WRITE, Scope
from dashboard.accounts.edits import TransactionError
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.ledger import SplitError, set_splits
from dashboard.models import Transaction, TransactionSplit

MAX_PARTS = 20


@dataclass(frozen=True)
class Part:
    amount: Decimal
    category: str | None = None
    note: str | None = None


def transaction_splits(session: Session, transaction: Transaction) -> list[TransactionSplit]:
    """The parts of a transaction the caller already fetched through a scope, in order; empty when whole."""
    return list(session.scalars(select(TransactionSplit).where(TransactionSplit.transaction_id == transaction.id)
                                .order_by(TransactionSplit.position)))


def parts_by_transaction(session: Session, transaction_ids: Sequence[int]) -> dict[int, list[TransactionSplit]]:
    """The parts of several transactions the caller already read through a scope (a page of them), in one query."""
    parts: dict[int, list[TransactionSplit]] = {}
    if transaction_ids:
        for part in session.scalars(select(TransactionSplit).where(TransactionSplit.transaction_id.in_(
                list(transaction_ids))).order_by(TransactionSplit.transaction_id, TransactionSplit.position)):
            parts.setdefault(part.transaction_id, []).append(part)
    return parts


def split_transaction(session: Session, scope: Scope, actor: Actor, transaction: Transaction,
                      parts: Sequence[Part]) -> int:
    """Divide a transaction the scope may write into ``parts`` (none: make it whole again); audited.

    Refused with :class:`TransactionError` (nothing changed) when the parts do not sum exactly to the
    transaction's amount, when one is zero, or when there is one part only or more than ``MAX_PARTS``.
    """
    scope.check(transaction.owner_id, transaction.account_id, WRITE)
    if len(parts) > MAX_PARTS:
        raise TransactionError(f"A split has at most {MAX_PARTS} parts.")
    before = [_plain(part) for part in transaction_splits(session, transaction)]
    try:
        count = set_splits(session, scope, transaction.id, [(p.amount, p.category, p.note) for p in parts])
    except SplitError as error:
        raise TransactionError(str(error)) from None
    after = [{"amount": str(p.amount), "category": p.category or None, "note": p.note or None} for p in parts]
    if before != after:
        record_event(session, AuditAction.TRANSACTION_SPLIT, actor, owner_id=transaction.owner_id,
                     target=f"transaction:{transaction.id}", details={"before": before, "after": after})
    return count


def _plain(part: TransactionSplit) -> dict:
    return {"amount": str(part.amount), "category": part.category, "note": part.note}
