"""Undoing an import batch, and the list of an account's batches that offers it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.access import READ, WRITE, Scope
from dashboard.balances import forget_batch_balances
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.ledger import delete_batch_transactions
from dashboard.models import ImportBatch
from dashboard.models.base import utcnow


class BatchAlreadyUndone(ValueError):
    pass


def undo_batch(session: Session, scope: Scope, actor: Actor, batch: ImportBatch) -> int:
    """Remove exactly the batch's rows (in every account it wrote to) and the balances it stated; returns how
    many rows went. Each account's stated balance becomes the one it had before. Audited.

    ``batch`` comes from ``access.batch_or_404``; the scope must grant WRITE on
    its account. The batch's row is locked first, so two undos of one batch at
    once remove its rows once and the second is told it was undone already.
    """
    scope.check(batch.owner_id, batch.account_id, WRITE)
    session.refresh(batch, with_for_update=True)
    if batch.undone_at is not None:
        raise BatchAlreadyUndone(f"the import of {batch.filename} was undone already")
    removed = delete_batch_transactions(session, batch)
    forget_batch_balances(session, batch.id, {batch.account_id})
    batch.undone_at = utcnow()
    record_event(session, AuditAction.IMPORT_UNDO, actor, owner_id=batch.owner_id,
                 target=f"import_batch:{batch.id}",
                 details={"filename": batch.filename, "account_id": batch.account_id, "removed": removed})
    session.flush()
    return removed


def account_batches(session: Session, scope: Scope, account_id: int, limit: int = 50) -> list[ImportBatch]:
    """The account's imports that the scope sees, newest first, for the lists with undo buttons."""
    return list(session.scalars(
        select(ImportBatch)
        .where(scope.rows(ImportBatch, READ), ImportBatch.account_id == account_id)
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    ))
