"""A user's currency choices, kept in ``users.preferences``: the home currency and how income is converted."""
from __future__ import annotations

from enum import StrEnum

from babel import Locale, UnknownLocaleError
from babel.numbers import get_territory_currencies
from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import Session

from dashboard.audit import Actor, AuditAction, record_event
from dashboard.formatting import DISPLAY_LOCALE
from dashboard.models import Account, User
from dashboard.models.accounts import AccountType

HOME_CURRENCY = "home_currency"
INCOME_CONVERSION = "income_conversion"


class IncomeConversion(StrEnum):
    """Which rate income and expenses are converted at."""

    DAILY = "daily"  # each transaction's date
    MONTHLY = "monthly"  # the average of the month's daily rates


def locale_currency(locale_name: str | None) -> str | None:
    """The currency of the locale's territory ("en_GB" → GBP), when it has one."""
    try:
        territory = Locale.parse(locale_name).territory if locale_name else None
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    currencies = get_territory_currencies(territory) if territory else []
    return currencies[0] if currencies else None


def first_money_currency(user_id) -> ScalarSelect:
    """The currency of the user's first money account (an id, or a column such as ``User.id``), as SQL: the sign-in
    check reads it with the user, so a page that shows the home currency needs no statement of its own for it."""
    return (select(Account.currency).where(Account.owner_id == user_id, Account.type != AccountType.LEDGER)
            .order_by(Account.id).limit(1).scalar_subquery())


def home_currency(session: Session, user: User) -> str:
    """The user's choice; else their locale's currency; else their first money account's; else the display
    locale's."""
    preferences = user.preferences or {}
    chosen = preferences.get(HOME_CURRENCY) or locale_currency(preferences.get("locale"))
    if chosen:
        return chosen
    first = user.first_money_currency or session.scalar(select(first_money_currency(user.id)))
    return first or locale_currency(DISPLAY_LOCALE)


def income_conversion(user: User) -> IncomeConversion:
    chosen = (user.preferences or {}).get(INCOME_CONVERSION)
    return IncomeConversion(chosen) if chosen in IncomeConversion._value2member_map_ else IncomeConversion.DAILY


def set_currency_preferences(session: Session, actor: Actor, user: User, home: str,
                             conversion: IncomeConversion) -> bool:
    """Store both choices (a new dict, so the JSON column sees the change); audited; False when nothing changed."""
    preferences = user.preferences or {}
    if preferences.get(HOME_CURRENCY) == home and preferences.get(INCOME_CONVERSION) == conversion:
        return False
    user.preferences = {**preferences, HOME_CURRENCY: home, INCOME_CONVERSION: conversion.value}
    record_event(session, AuditAction.PREFERENCES_SET, actor, owner_id=user.id, target=f"user:{user.id}",
                 details={HOME_CURRENCY: home, INCOME_CONVERSION: conversion.value})
    return True
