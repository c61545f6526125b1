"""Category suggestions: the category the nearest categorised rows carry, weighted by their similarity.

A suggestion's score is the winning category's share of the neighbours' weight times
its best neighbour's similarity, so a row whose neighbours disagree, or are all
far away (a merchant never seen before), scores low; below ``THRESHOLD`` there is
no suggestion. ``NEIGHBOURS`` and ``THRESHOLD`` come from bench/similarity.py's figures.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.access import READ, WRITE, Scope
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.ledger import update_transactions
from dashboard.models import Account, Transaction
from dashboard.similarity.store import Neighbour, current_kind, nearest
from dashboard.similarity.vectors import vectors_for

NEIGHBOURS = 7
THRESHOLD = 0.45  # the lowest at which no merchant never categorised got a suggestion (bench, tuning seed)
SUGGESTION_LIMIT = 500  # uncategorised rows considered at once (the review page, the CLI)


@dataclass(frozen=True)
class Suggestion:
    transaction_id: int | None
    description: str
    category: str
    score: float


def vote(neighbours: Sequence[Neighbour] | Sequence[tuple[float, str]]) -> tuple[str, float] | None:
    """The weighted vote of categorised neighbours, ``(category, score)``; None when there are none."""
    weights: dict[str, float] = defaultdict(float)
    best: dict[str, float] = defaultdict(float)
    for neighbour in neighbours:
        similarity, category = ((neighbour.similarity, neighbour.category) if isinstance(neighbour, Neighbour)
                                else neighbour)
        if category is None or similarity <= 0:
            continue
        weights[category] += similarity ** 2
        best[category] = max(best[category], similarity)
    if not weights:
        return None
    winner = max(weights, key=weights.get)
    return winner, weights[winner] / sum(weights.values()) * best[winner]


def suggest_for_rows(session: Session, scope: Scope, rows: Sequence[tuple], *, ids: Sequence[int | None] = (),
                     threshold: float = THRESHOLD) -> list[tuple[str, float] | None]:
    """For ``(description, counterparty, amount)`` rows (an import preview's, or stored ones with ``ids``), the
    suggested ``(category, score)`` of each, or None below the threshold."""
    if not rows:
        return []
    neighbours = nearest(session, scope, vectors_for(current_kind(), rows), NEIGHBOURS, categorised=True,
                         exclude=ids)
    answers = []
    for found in neighbours:
        voted = vote(found)
        answers.append(voted if voted is not None and voted[1] >= threshold else None)
    return answers


def uncategorised(session: Session, scope: Scope, account: Account | None = None,
                  limit: int = SUGGESTION_LIMIT) -> list[Transaction]:
    """The scope's rows without a category (newest first), optionally of one account."""
    statement = select(Transaction).where(scope.rows(Transaction, READ), Transaction.category.is_(None))
    if account is not None:
        statement = statement.where(Transaction.account_id == account.id)
    return list(session.scalars(statement.order_by(Transaction.date.desc(), Transaction.id.desc()).limit(limit)))


def review_rows(session: Session, scope: Scope, account: Account | None = None) -> list[tuple]:
    """Every uncategorised row (up to ``SUGGESTION_LIMIT``, newest first) with its suggestion or None."""
    rows = uncategorised(session, scope, account)
    voted = suggest_for_rows(session, scope, [(r.description, r.counterparty, r.amount) for r in rows],
                             ids=[r.id for r in rows])
    return [(row, Suggestion(row.id, row.description, v[0], round(v[1], 3)) if v is not None else None)
            for row, v in zip(rows, voted)]


def suggestions(session: Session, scope: Scope, account: Account | None = None) -> list[Suggestion]:
    """A suggestion for each uncategorised row that scores at or above the threshold."""
    return [suggestion for _, suggestion in review_rows(session, scope, account) if suggestion is not None]


def suggestions_for_ids(session: Session, scope: Scope, ids: Sequence[int]) -> list[Suggestion]:
    """The suggestions, computed afresh, for those of ``ids`` that are uncategorised rows the scope may change
    (a page posts ids only: the category is never taken from the request)."""
    rows = list(session.scalars(select(Transaction).where(
        scope.rows(Transaction, WRITE), Transaction.category.is_(None), Transaction.id.in_(list(ids)))))
    voted = suggest_for_rows(session, scope, [(r.description, r.counterparty, r.amount) for r in rows],
                             ids=[r.id for r in rows])
    return [Suggestion(r.id, r.description, v[0], round(v[1], 3)) for r, v in zip(rows, voted) if v is not None]


def preview_suggestions(session: Session, scope: Scope, rows: Sequence) -> list[Suggestion | None]:
    """For an import preview's rows: a suggestion for each new row that its source and the rules leave
    uncategorised (rules win), None for the others."""
    wanted = [i for i, row in enumerate(rows) if row.is_new and not row.skipped and not row.category]
    voted = suggest_for_rows(session, scope, [(rows[i].description, None, rows[i].amount) for i in wanted])
    found: list[Suggestion | None] = [None] * len(rows)
    for i, vote_of_row in zip(wanted, voted):
        if vote_of_row is not None:
            found[i] = Suggestion(None, rows[i].description, vote_of_row[0], round(vote_of_row[1], 3))
    return found


def accept_in_batch(session: Session, scope: Scope, actor: Actor, batch_id: int,
                    descriptions: Sequence[str] | None) -> int:
    """After an import: store the suggestions for the batch's uncategorised rows, every one (``descriptions``
    None) or those whose description the user accepted in the preview; returns how many changed. Not committed."""
    statement = select(Transaction.id).where(scope.rows(Transaction, WRITE), Transaction.batch_id == batch_id,
                                             Transaction.category.is_(None))
    if descriptions is not None:
        statement = statement.where(Transaction.description.in_(list(descriptions)))
    ids = list(session.scalars(statement))
    return apply_suggestions(session, scope, actor, suggestions_for_ids(session, scope, ids)) if ids else 0


def apply_suggestions(session: Session, scope: Scope, actor: Actor, chosen: Sequence[Suggestion]) -> int:
    """Store suggested categories on rows the scope may change that are still uncategorised (a rule, or the
    user, that set one since wins); returns how many changed. Audited; not committed."""
    by_category: dict[str, list[int]] = defaultdict(list)
    for suggestion in chosen:
        by_category[suggestion.category].append(suggestion.transaction_id)
    still_open = set(session.scalars(select(Transaction.id).where(
        scope.rows(Transaction, WRITE), Transaction.category.is_(None),
        Transaction.id.in_([s.transaction_id for s in chosen]))))
    changed = 0
    for category, ids in by_category.items():
        open_ids = [i for i in ids if i in still_open]
        if open_ids:
            changed += update_transactions(session, scope, open_ids, category=category)
    if changed:
        record_event(session, AuditAction.SUGGESTION_APPLY, actor, owner_id=scope.owner_id,
                     details={"changed": changed, "categories": sorted(by_category)})
    return changed


def similar_transactions(session: Session, scope: Scope, transaction: Transaction, k: int = 10) -> list[tuple]:
    """The ``k`` transactions the scope may read most like this one, as ``(Transaction, similarity)``."""
    return similar_to(session, scope, transaction.description, transaction.counterparty, transaction.amount, k,
                      exclude=transaction.id)


def similar_to(session: Session, scope: Scope, description: str, counterparty: str | None = None,
               amount: Decimal | None = None, k: int = 10, exclude: int | None = None) -> list[tuple]:
    """The ``k`` transactions the scope may read most like these words (and amount, when given)."""
    query = vectors_for(current_kind(), [(description, counterparty, amount)])
    found = nearest(session, scope, query, k, exclude=[exclude])[0]
    rows = {t.id: t for t in session.scalars(select(Transaction).where(
        Transaction.id.in_([n.transaction_id for n in found]), scope.rows(Transaction, READ)))}
    return [(rows[n.transaction_id], n.similarity) for n in found if n.transaction_id in rows]
