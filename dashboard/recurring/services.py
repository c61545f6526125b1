"""Recurring payments of a scope: detected from its transactions, with the user's decisions applied.

Confirm, dismiss and edit store a decision keyed by the payment's normalised payee and currency;
the payments, their next dates and the missed and price-changed flags are computed on every read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from dashboard.access import Scope
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.models import Transaction
from dashboard.models.accounts import TransactionStatus
from dashboard.models.recurring import RecurringPayment, RecurringStatus
from dashboard.recurring.detection import LOOKBACK_DAYS, Cadence, Pattern, Payment, detect, expect


class RecurringError(ValueError):
    """An edit refused for a reason the user can fix."""


@dataclass
class RecurringItem:
    pattern: Pattern
    decision: RecurringPayment | None = None

    @property
    def confirmed(self) -> bool:
        return self.decision is not None and self.decision.status == RecurringStatus.CONFIRMED


@dataclass
class RecurringOverview:
    items: list[RecurringItem] = field(default_factory=list)
    dismissed: list[RecurringItem] = field(default_factory=list)

    @property
    def monthly_cost(self) -> dict[str, Decimal]:
        """The monthly cost of the listed (not dismissed) payments, per currency."""
        totals: dict[str, Decimal] = {}
        for item in self.items:
            totals[item.pattern.currency] = totals.get(item.pattern.currency, Decimal(0)) + item.pattern.monthly_cost
        return dict(sorted(totals.items()))


def detected_payments(session: Session, scope: Scope, today: date) -> list[Pattern]:
    """The recurring payments in the money the scope's accounts paid out recently, before any decision."""
    rows = session.execute(
        select(Transaction.date, Transaction.amount, Transaction.description, Transaction.counterparty,
               Transaction.currency)
        .where(scope.rows(Transaction), Transaction.amount < 0, Transaction.transfer_id.is_(None),
               Transaction.status == TransactionStatus.POSTED,
               Transaction.date.between(today - timedelta(days=LOOKBACK_DAYS), today))
    ).all()
    return detect((Payment(*row) for row in rows), today)


def recurring_overview(session: Session, scope: Scope, today: date) -> RecurringOverview:
    decisions = {(d.key, d.currency): d for d in session.scalars(
        select(RecurringPayment).where(RecurringPayment.owner_id == scope.owner_id))}
    overview = RecurringOverview()
    for pattern in detected_payments(session, scope, today):
        decision = decisions.get((pattern.key, pattern.currency))
        if decision is not None:
            _apply(decision, pattern, today)
        item = RecurringItem(pattern, decision)
        dismissed = decision is not None and decision.status == RecurringStatus.DISMISSED
        (overview.dismissed if dismissed else overview.items).append(item)
    overview.items.sort(key=lambda item: (not item.confirmed, -item.pattern.monthly_cost, item.pattern.name))
    return overview


def _apply(decision: RecurringPayment, pattern: Pattern, today: date) -> None:
    """The user's edits over what the history says: a name, an expected amount, a cadence."""
    if decision.name:
        pattern.name = decision.name
    if decision.amount is not None:
        pattern.previous_amount = pattern.amount if pattern.amount != decision.amount else None
        pattern.amount = decision.amount
    if decision.cadence:
        pattern.cadence = Cadence(decision.cadence)
        expect(pattern, today)


def find_payment(session: Session, scope: Scope, key: str, currency: str, today: date) -> RecurringItem:
    """One detected payment by its key and currency; 404 when the scope's history shows no such payment."""
    for item in (*(overview := recurring_overview(session, scope, today)).items, *overview.dismissed):
        if item.pattern.key == key and item.pattern.currency == currency:
            return item
    raise NotFound()


def decide(session: Session, scope: Scope, actor: Actor, key: str, currency: str, status: RecurringStatus,
           today: date, name: str | None = None, amount: Decimal | None = None,
           cadence: str | None = None) -> RecurringItem:
    """Confirm, dismiss or edit (confirm with a name, amount or cadence) one detected payment; audited. Returns it
    with the decision applied."""
    item = find_payment(session, scope, key, currency, today)
    if amount is not None and amount >= 0:
        raise RecurringError("A recurring payment's amount is money out: give it as a negative amount.")
    if cadence is not None and cadence not in Cadence.__members__.values():
        raise RecurringError("Choose how often it is paid.")
    decision = item.decision or RecurringPayment(owner_id=scope.owner_id, key=key, currency=currency)
    decision.status = status
    edited = name is not None or amount is not None or cadence is not None
    if edited:
        decision.name, decision.amount, decision.cadence = (name or "").strip()[:120] or None, amount, cadence
    session.add(decision)
    session.flush()
    action = {RecurringStatus.DISMISSED: AuditAction.RECURRING_DISMISS}.get(
        status, AuditAction.RECURRING_EDIT if edited else AuditAction.RECURRING_CONFIRM)
    record_event(session, action, actor, owner_id=scope.owner_id, target=f"recurring:{decision.id}",
                 details={"key": key, "currency": currency, "name": decision.name,
                          "amount": None if decision.amount is None else str(decision.amount),
                          "cadence": decision.cadence})
    _apply(decision, item.pattern, today)
    return RecurringItem(item.pattern, decision)
