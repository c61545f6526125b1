"""What a user decided about a detected recurring payment: confirmed (perhaps edited) or dismissed.

The payments themselves are computed from the transactions each time they are read
(``dashboard.recurring.detection``), so nothing depends on the server having been up on
the day one fell due; only the user's decisions are stored.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.models.base import Base, Money, utcnow


class RecurringStatus(StrEnum):
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class RecurringPayment(Base):
    __tablename__ = "recurring_payments"
    __table_args__ = (UniqueConstraint("owner_id", "key", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))  # the normalised counterparty or description it was found by
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    # The user's edits; None keeps what the history says.
    name: Mapped[str | None] = mapped_column(String(120))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    cadence: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
