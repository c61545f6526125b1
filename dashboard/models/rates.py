"""Exchange rates by date: published ones (the ECB's, shared by everyone) and a user's own, entered by hand."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.models.base import Base, Money

RATE_SCALE = 10
LARGEST_RATE = Decimal(10) ** 8  # far inside the BigInteger of 1/10^10ths; no currency pair comes near


class RateSource(StrEnum):
    ECB = "ecb"  # the European Central Bank's reference rates (CSV history or daily XML)
    CSV = "csv"  # a plain date,base,quote,rate file
    MANUAL = "manual"  # entered by hand on the rates page
    DEMO = "demo"  # the demo user's own made-up rates (dashboard.demo), never published to anyone else


class Rate(Money):
    """A ``Decimal`` rate stored as an integer count of 1/10,000,000,000ths.

    Exact on both engines (SQLite's NUMERIC keeps only 15 significant digits, as a
    float); ten places hold every ECB rate (at most six significant digits) and any
    inverse a person would type. More places are refused, never rounded.
    """

    cache_ok = True
    scale = RATE_SCALE

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(int(value)).scaleb(-RATE_SCALE).normalize()


class ExchangeRate(Base):
    """One unit of ``base`` is worth ``rate`` units of ``quote`` on ``date``.

    ``owner_id`` is empty for published rates, which every user's conversions read;
    a user's hand-entered rate is theirs alone and wins over a published one of the same day.
    """

    __tablename__ = "exchange_rates"
    __table_args__ = (Index("ix_exchange_rates_base_quote_date", "base", "quote", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    date: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Rate)
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    def __repr__(self) -> str:
        return f"<ExchangeRate {self.base}/{self.quote} {self.date} {self.rate}>"
