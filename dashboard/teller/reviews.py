"""The review list: posted rows the sync found likely, not surely, to be a pending row the bank dropped.

Until the user decides, both rows stay (the pending one apart from the balance, as pending rows are) and the
pending window never removes the pending one. Confirming deletes the pending row through ``ledger.py``, its
category passing to the posted row (and its note, when the posted row has none); dismissing keeps both for good.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from dashboard.access import WRITE, Scope
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.ledger import delete_transactions, update_transactions
from dashboard.models.base import utcnow
from dashboard.models.teller import MatchReviewStatus, TellerMatchReview


def open_reviews(session: Session, scope: Scope, account_id: int | None = None) -> list[TellerMatchReview]:
    """The matches waiting for a decision the scope may take (in one account, or all), oldest first."""
    query = (select(TellerMatchReview)
             .where(scope.rows(TellerMatchReview, WRITE), TellerMatchReview.status == MatchReviewStatus.OPEN)
             .options(joinedload(TellerMatchReview.pending), joinedload(TellerMatchReview.posted),
                      joinedload(TellerMatchReview.account))
             .order_by(TellerMatchReview.created_at, TellerMatchReview.id))
    if account_id is not None:
        query = query.where(TellerMatchReview.account_id == account_id)
    return list(session.scalars(query))


def open_review_count(session: Session, scope: Scope, account_id: int) -> int:
    return session.scalar(select(func.count()).where(
        scope.rows(TellerMatchReview, WRITE), TellerMatchReview.account_id == account_id,
        TellerMatchReview.status == MatchReviewStatus.OPEN))


def confirm_match(session: Session, scope: Scope, actor: Actor, review: TellerMatchReview) -> bool:
    """They are one transaction: the pending row goes, its category (and note) kept on the posted row."""
    scope.check(review.owner_id, review.account_id, WRITE)
    if review.status != MatchReviewStatus.OPEN:
        return False
    pending, posted = review.pending, review.posted
    kept = {}
    if pending.category and pending.category != posted.category:
        kept["category"] = pending.category  # the category given to the pending row wins, as in a sure match
    if pending.note and not posted.note:
        kept["note"] = pending.note
    details = {"pending": f"{pending.date} {pending.description} {pending.amount}",
               "posted": f"{posted.date} {posted.description} {posted.amount}", **kept}
    if kept:
        update_transactions(session, scope, [posted.id], **kept)
    pending_id = pending.id
    session.delete(review)
    session.flush()
    delete_transactions(session, scope, [pending_id])
    record_event(session, AuditAction.TELLER_MATCH_CONFIRM, actor, owner_id=review.owner_id,
                 target=f"transaction:{posted.id}", details=details)
    return True


def dismiss_match(session: Session, scope: Scope, actor: Actor, review: TellerMatchReview) -> bool:
    """They are two transactions: both stay, and the pending row is never matched or expired again."""
    scope.check(review.owner_id, review.account_id, WRITE)
    if review.status != MatchReviewStatus.OPEN:
        return False
    review.status, review.resolved_at = MatchReviewStatus.DISMISSED, utcnow()
    record_event(session, AuditAction.TELLER_MATCH_DISMISS, actor, owner_id=review.owner_id,
                 target=f"transaction:{review.posted_id}",
                 details={"pending": f"{review.pending.date} {review.pending.description} {review.pending.amount}"})
    session.flush()
    return True
