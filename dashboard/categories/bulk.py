"""Bulk categorise: one category on chosen rows or on every row of the current filter, and its undo.

The audit event of a bulk change keeps each changed row's previous category,
so :func:`undo_bulk_category` puts back exactly what it replaced (on the rows
that still carry the category it set; a row edited since keeps the edit).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from dashboard.access import WRITE, Scope, storable_id, transaction_ids_or_404
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.categories.seeding import ensure_categories
from dashboard.categories.services import clean_name
from dashboard.ledger import update_transactions
from dashboard.models import AuditEvent, Transaction, TransactionSplit

CHUNK = 5_000


def _transactions(count: int) -> str:
    return f"{count} transaction{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class BulkResult:
    changed: int
    category: str | None
    event_id: int | None  # the audit event an undo reads; None when nothing changed
    split_kept: int = 0  # split rows left as they are: their parts carry the categories

    @property
    def message(self) -> str:
        if not self.changed:
            done = "Nothing changed" if self.split_kept else \
                "Nothing changed: every chosen transaction already has that category"
        elif self.category is None:
            done = f"Cleared the category of {_transactions(self.changed)}"
        else:
            done = f"Set the category of {_transactions(self.changed)} to {self.category}"
        if self.split_kept:
            done += (f"; left {_transactions(self.split_kept)} split across categories as "
                     f"{'they are' if self.split_kept != 1 else 'it is'} (change the parts on the transaction's page)")
        return done


def categorise_rows(session: Session, scope: Scope, actor: Actor, category: str | None, *,
                    ids: Sequence[int] | None = None, matching: Select | None = None) -> BulkResult:
    """Set ``category`` (None or blank clears it) on the chosen ``ids`` (404/403 if any may not change), or on
    every row of ``matching`` (the current filter's SELECT of transactions, ``filtered_transactions``) that the
    scope may change. Split rows are left as they are (counted in ``split_kept``): their parts keep their
    categories. Audited with what each row had before."""
    category = clean_name(category) if category and category.strip() else None
    split = select(TransactionSplit.transaction_id).where(TransactionSplit.transaction_id == Transaction.id).exists()
    columns = (Transaction.id, Transaction.owner_id, Transaction.category, split)
    if ids is not None:
        chosen = transaction_ids_or_404(session, scope, ids, need=WRITE)
        query = select(*columns).where(Transaction.id.in_(chosen))
    else:
        query = matching.where(scope.rows(Transaction, WRITE)).with_only_columns(*columns)
    before: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    split_kept = 0
    for row_id, owner_id, current, is_split in session.execute(query):
        if is_split:  # the parts carry the categories the totals count; one category would undo the split
            split_kept += 1
        elif current != category:
            before[owner_id][current or ""].append(row_id)
    changed, event_id = 0, None
    for owner_id, groups in before.items():
        owned = sorted(i for group in groups.values() for i in group)
        for start in range(0, len(owned), CHUNK):
            changed += update_transactions(session, scope, owned[start:start + CHUNK], category=category)
        ensure_categories(session, owner_id, [category])
        event = record_event(session, AuditAction.TRANSACTION_CATEGORISE, actor, owner_id=owner_id,
                             target=f"transactions:{len(owned)}",
                             details={"ids": owned, "category": category, "before": dict(groups)})
        event_id = event.id if owner_id == scope.user_id or event_id is None else event_id
    return BulkResult(changed, category, event_id, split_kept)


def bulk_change_or_404(session: Session, scope: Scope, event_id: int) -> AuditEvent:
    """The audit event of one of the scope owner's bulk changes that is not undone yet; 404 for any other id."""
    event = session.get(AuditEvent, event_id) if storable_id(event_id) else None
    if (event is None or event.action != AuditAction.TRANSACTION_CATEGORISE or event.owner_id != scope.user_id
            or "before" not in (event.details or {}) or _undone(session, event.id)):
        raise NotFound()
    return event


def undo_bulk_category(session: Session, scope: Scope, actor: Actor, event_id: int) -> int:
    """Put back the categories one bulk change replaced; returns how many rows went back (404 as
    :func:`bulk_change_or_404`)."""
    event = bulk_change_or_404(session, scope, event_id)
    category = event.details.get("category")
    restored = 0
    for previous, ids in event.details["before"].items():
        still = session.scalars(select(Transaction.id).where(
            scope.rows(Transaction, WRITE), Transaction.id.in_(ids),
            Transaction.category.is_(None) if category is None else Transaction.category == category)).all()
        for start in range(0, len(still), CHUNK):
            restored += update_transactions(session, scope, still[start:start + CHUNK], category=previous or None)
    record_event(session, AuditAction.TRANSACTION_CATEGORISE_UNDO, actor, owner_id=scope.user_id,
                 target=f"audit_event:{event.id}", details={"restored": restored})
    return restored


def _undone(session: Session, event_id: int) -> bool:
    return session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == AuditAction.TRANSACTION_CATEGORISE_UNDO,
        AuditEvent.target == f"audit_event:{event_id}").limit(1)) is not None
