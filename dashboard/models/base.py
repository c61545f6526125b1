"""The declarative base, the money column type and SQL date helpers shared by every model."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import BigInteger, Date, MetaData
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY_SCALE = 4
MONEY_FACTOR = Decimal(10) ** MONEY_SCALE
LARGEST_AMOUNT = Decimal(10) ** 14  # well inside the BigInteger of 1/10,000ths that a Money column stores
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)


def storable_amount(value: Decimal) -> bool:
    """Whether a Money column can hold (and so be compared with) ``value`` exactly: finite, below
    LARGEST_AMOUNT, four places at most. Every way an amount comes in (files, forms, the API, rules, budgets,
    Teller) asks this one question."""
    # copy_abs and the comparison are exact: abs() and scaleb() round in the context and overflow on 1e1000000.
    if not value.is_finite() or value.copy_abs() >= LARGEST_AMOUNT:
        return False
    return value == value.quantize(MONEY_QUANTUM)


def utcnow() -> datetime:
    """Naive UTC, the form every timestamp column stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Money(TypeDecorator):
    """A ``Decimal`` stored as an integer count of 1/10,000ths.

    Integers add up exactly in SQL on SQLite and PostgreSQL alike (SQLite has
    no exact decimal type), and four places cover every ISO 4217 currency.
    ``func.sum`` over a Money column returns Money, so sums come back as Decimal.
    """

    impl = BigInteger
    cache_ok = True
    scale = MONEY_SCALE  # a subclass storing another number of places sets its own

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value, dialect):
        return None if value is None else money_from_units(int(value))


def money_from_units(units: int) -> Decimal:
    """Scaled integer to Decimal, with two places where that is exact ("12.30", "0.125")."""
    value = Decimal(units).scaleb(-MONEY_SCALE)
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value.normalize()


def render_migration_type(type_, obj, autogen_context):
    """Alembic renders Money as the BigInteger it stores, so migrations never import the app."""
    if type_ == "type" and isinstance(obj, Money):
        return "sa.BigInteger()"
    return False


class month_start(FunctionElement):
    """The first day of the month of a date expression, on either engine."""

    type = Date()
    inherit_cache = True


@compiles(month_start, "postgresql")
def _month_start_postgresql(element, compiler, **kw):
    return "CAST(date_trunc('month', %s) AS DATE)" % compiler.process(element.clauses, **kw)


@compiles(month_start, "sqlite")
def _month_start_sqlite(element, compiler, **kw):
    return "date(%s, 'start of month')" % compiler.process(element.clauses, **kw)
