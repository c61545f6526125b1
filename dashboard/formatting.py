"""Template filters: money and dates are formatted here and nowhere else."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_currency
from flask import Flask

DISPLAY_LOCALE = "en_GB"
CENT = Decimal("0.01")


def money(amount: Decimal | None, currency: str | None = None) -> str:
    """``-1,234.56`` as ``-£1,234.56``; the currency's own number of decimals (JPY has none)."""
    if amount is None:
        return "—"
    if not currency:
        return f"{amount:,.2f}"
    return format_currency(amount, currency, locale=DISPLAY_LOCALE, currency_digits=True)


def plain_amount(amount: Decimal | None) -> str:
    """A plain decimal with a dot, no grouping and at least two places ("0.00", "12.50", "0.125"), for CSV."""
    if amount is None:
        return ""
    cents = amount.quantize(CENT)
    return f"{cents if cents == amount else amount:f}"


def number(value: int | None) -> str:
    """A count with thousands separated: ``12,345``."""
    return "—" if value is None else f"{value:,}"


def month(value: date | None) -> str:
    """The month of a date as people read it: ``Mar 2025``."""
    return "—" if value is None else value.strftime("%b %Y")


def short_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%d %b %Y %H:%M")
    return value.strftime("%d %b %Y")


def register_template_filters(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(short_date)
    app.add_template_filter(number)
    app.add_template_filter(month)
