"""Storing exchange rates: published ones from files and the ECB, and a user's own by hand; each change audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from dashboard.audit import Actor, AuditAction, record_event
from dashboard.models.rates import ExchangeRate, RateSource
from dashboard.rates.files import PublishedRate

BATCH_SIZE = 5000


@dataclass
class StoredRates:
    added: int = 0
    changed: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        return f"added {self.added}, changed {self.changed}, unchanged {self.unchanged}"


def store_published_rates(session: Session, actor: Actor, rates: list[PublishedRate], origin: str) -> StoredRates:
    """Add the published rates, replacing a stored one of the same pair and day; one audit event for the lot.

    One query reads what is stored over the file's days; new rows go in one statement per batch.
    """
    result = StoredRates()
    if not rates:
        return result
    latest = {(r.base, r.quote, r.day): r for r in rates}  # a file naming one day twice: its last line wins
    stored = {
        (base, quote, day): (row_id, rate)
        for row_id, base, quote, day, rate in session.execute(
            select(ExchangeRate.id, ExchangeRate.base, ExchangeRate.quote, ExchangeRate.date, ExchangeRate.rate)
            .where(ExchangeRate.owner_id.is_(None),
                   ExchangeRate.date.between(min(r.day for r in rates), max(r.day for r in rates)),
                   ExchangeRate.base.in_({r.base for r in rates}))
        )
    }
    new, changed = [], []
    for key, rate in latest.items():
        if key not in stored:
            new.append({"owner_id": None, "base": rate.base, "quote": rate.quote, "date": rate.day,
                        "rate": rate.rate, "source": rate.source})
        elif stored[key][1] != rate.rate:
            changed.append({"id": stored[key][0], "rate": rate.rate, "source": rate.source})
        else:
            result.unchanged += 1
    for start in range(0, len(new), BATCH_SIZE):
        session.execute(insert(ExchangeRate), new[start:start + BATCH_SIZE])
    if changed:
        session.execute(update(ExchangeRate), changed)
    result.added, result.changed = len(new), len(changed)
    record_event(session, AuditAction.RATES_IMPORT, actor, target=origin[:200],
                 details={"added": result.added, "changed": result.changed, "unchanged": result.unchanged})
    return result


def set_own_rate(session: Session, actor: Actor, owner_id: int, base: str, quote: str, day: date,
                 rate: Decimal) -> ExchangeRate:
    """The user's own rate for a pair and day (replacing their earlier one of that day); audited."""
    row = session.scalar(select(ExchangeRate).where(ExchangeRate.owner_id == owner_id, ExchangeRate.base == base,
                                                    ExchangeRate.quote == quote, ExchangeRate.date == day))
    if row is None:
        row = ExchangeRate(owner_id=owner_id, base=base, quote=quote, date=day, source=RateSource.MANUAL)
        session.add(row)
    row.rate = rate
    session.flush()
    record_event(session, AuditAction.RATE_SET, actor, owner_id=owner_id, target=f"rate:{row.id}",
                 details={"pair": f"{base}/{quote}", "date": day.isoformat(), "rate": str(rate)})
    return row


def own_rates(session: Session, owner_id: int, limit: int = 100) -> list[ExchangeRate]:
    """The user's hand-entered rates, newest first."""
    return list(session.scalars(select(ExchangeRate).where(ExchangeRate.owner_id == owner_id)
                                .order_by(ExchangeRate.date.desc(), ExchangeRate.base, ExchangeRate.quote)
                                .limit(limit)))


def latest_published(session: Session) -> list[ExchangeRate]:
    """The published rates of the newest day any were published: the rates page's current picture."""
    newest = session.scalar(select(func.max(ExchangeRate.date)).where(ExchangeRate.owner_id.is_(None)))
    if newest is None:
        return []
    return list(session.scalars(select(ExchangeRate).where(ExchangeRate.owner_id.is_(None),
                                                           ExchangeRate.date == newest)
                                .order_by(ExchangeRate.base, ExchangeRate.quote)))
