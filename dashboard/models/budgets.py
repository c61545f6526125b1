"""Budgets: a monthly amount per category (or parent category) in one currency.

``month`` None is a budget for every month from ``starts``; a budget with a month is for that
month alone and takes the place of the every-month one there. Months are budget months: named
``YYYY-MM`` and starting on the owner's start day (``dashboard.budgets.months``). Roll-over
carries the unspent part, the overspent part, or both, into the next month.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.models.base import Base, Money


class Budget(Base):
    __tablename__ = "budgets"
    __table_args__ = (Index("ix_budgets_owner_id_category_id", "owner_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Money)  # what may be spent in a month, a positive figure
    month: Mapped[date | None] = mapped_column(Date)  # the 1st of the budget month it is for; None: every month
    starts: Mapped[date] = mapped_column(Date)  # the first budget month it applies to (its 1st)
    rollover_unspent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rollover_overspent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    category = relationship("Category")
