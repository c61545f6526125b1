"""Budgets when categories merge: kept apart from the budget services, which read the category services."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.models import Budget


def merge_category_budgets(session: Session, owner_id: int, source_id: int, target_id: int) -> int:
    """When one category is merged into another, its budgets become the target's: where both had a budget for
    the same currency and month, the amounts are added, so nothing budgeted is lost. Returns how many moved.

    (A rename needs nothing here: budgets name their category by id.)"""
    target = {(b.currency, b.month): b for b in session.scalars(
        select(Budget).where(Budget.owner_id == owner_id, Budget.category_id == target_id))}
    moved = 0
    for budget in session.scalars(select(Budget).where(Budget.owner_id == owner_id, Budget.category_id == source_id)):
        kept = target.get((budget.currency, budget.month))
        if kept is None:
            budget.category_id = target_id
        else:
            kept.amount += budget.amount
            kept.starts = min(kept.starts, budget.starts)
            session.delete(budget)
        moved += 1
    session.flush()
    return moved
