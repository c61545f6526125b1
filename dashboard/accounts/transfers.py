"""Transfers between a user's own accounts: two rows with opposite amounts, linked to each other.

Linked rows count as neither income nor expense (the ledger totals them under
the reserved "Transfers" category) and each shows its other side. Pairs are
suggested (opposite amounts, a few days apart, different accounts of one
owner) and linked only when the user confirms, or linked by hand.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, joinedload

from dashboard.access import WRITE, Scope, transaction_or_404
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.ledger import update_transactions
from dashboard.models import Transaction

SUGGESTION_DAYS = 4
SUGGESTION_LIMIT = 20


class TransferError(ValueError):
    """Two rows that cannot be a transfer; the message says why."""


@dataclass
class TransferPair:
    out: Transaction  # money out of one account
    into: Transaction  # the same money into another


def link_transfer(session: Session, scope: Scope, actor: Actor, first_id: int, second_id: int) -> TransferPair:
    """Link two rows of the same owner's different accounts, with opposite signs, as one transfer; audited."""
    first = transaction_or_404(session, scope, first_id, need=WRITE)
    second = transaction_or_404(session, scope, second_id, need=WRITE)
    if first.owner_id != second.owner_id or first.account_id == second.account_id:
        raise TransferError("A transfer links rows of two different accounts of the same person.")
    if (first.amount > 0) == (second.amount > 0):
        raise TransferError("A transfer goes out of one account and into the other: the amounts need opposite signs.")
    if first.transfer_id is not None or second.transfer_id is not None:
        raise TransferError("One of these rows is linked to another transfer already: unlink it first.")
    update_transactions(session, scope, [first.id], transfer_id=second.id)
    update_transactions(session, scope, [second.id], transfer_id=first.id)
    session.refresh(first)
    session.refresh(second)
    record_event(session, AuditAction.TRANSFER_LINK, actor, owner_id=first.owner_id,
                 target=f"transaction:{first.id}", details={"other": second.id})
    return TransferPair(*(sorted((first, second), key=lambda t: t.amount)))


def unlink_transfer(session: Session, scope: Scope, actor: Actor, transaction_id: int) -> bool:
    """Undo a link: both rows count as income or expense again (by their own category); audited."""
    row = transaction_or_404(session, scope, transaction_id, need=WRITE)
    if row.transfer_id is None:
        return False
    other = transaction_or_404(session, scope, row.transfer_id, need=WRITE)
    update_transactions(session, scope, [row.id, other.id], transfer_id=None)
    session.refresh(row)
    session.refresh(other)
    record_event(session, AuditAction.TRANSFER_UNLINK, actor, owner_id=row.owner_id,
                 target=f"transaction:{row.id}", details={"other": other.id})
    return True


def suggested_transfers(session: Session, scope: Scope, limit: int = SUGGESTION_LIMIT) -> list[TransferPair]:
    """Unlinked pairs the scope may write that look like one transfer, newest first, each row in one pair at most.

    Rows are matched on owner and exact opposite amount in SQL; the few days
    apart are checked here, which both engines' date types allow alike.
    """
    out, into = aliased(Transaction), aliased(Transaction)
    rows = session.execute(
        select(out, into)
        .join(into, (into.owner_id == out.owner_id) & (into.account_id != out.account_id)
              & (into.amount == -out.amount))
        .where(scope.rows(out, WRITE), scope.rows(into, WRITE), out.amount < 0,
               out.transfer_id.is_(None), into.transfer_id.is_(None))
        .order_by(out.date.desc(), out.id.desc(), into.id)
        .limit(limit * 20)
    ).all()
    taken, pairs = set(), []
    for sent, received in rows:
        if sent.id in taken or received.id in taken or abs((received.date - sent.date).days) > SUGGESTION_DAYS:
            continue
        taken.update((sent.id, received.id))
        pairs.append(TransferPair(sent, received))
        if len(pairs) == limit:
            break
    return pairs


def transfer_other_side(session: Session, scope: Scope, row: Transaction) -> Transaction | None:
    """The linked row on the other side of a transfer, when the scope sees it."""
    if row.transfer_id is None:
        return None
    return session.scalar(select(Transaction).where(scope.rows(Transaction), Transaction.id == row.transfer_id)
                          .options(joinedload(Transaction.account)))


def transfer_candidates(session: Session, scope: Scope, row: Transaction, limit: int = 10) -> list[Transaction]:
    """Rows that could be the other side of ``row``: unlinked, in another of its owner's accounts, of the
    opposite sign, the nearest in amount and then in date first (linking by hand allows any of them)."""
    if row.transfer_id is not None:
        return []
    opposite = Transaction.amount > 0 if row.amount < 0 else Transaction.amount < 0
    return list(session.scalars(
        select(Transaction)
        .where(scope.rows(Transaction, WRITE), Transaction.owner_id == row.owner_id,
               Transaction.account_id != row.account_id, Transaction.transfer_id.is_(None), opposite,
               Transaction.date.between(row.date - timedelta(days=SUGGESTION_DAYS),
                                        row.date + timedelta(days=SUGGESTION_DAYS)))
        .order_by(func.abs(Transaction.amount + row.amount), Transaction.date, Transaction.id)
        .limit(limit).options(joinedload(Transaction.account))
    ))
