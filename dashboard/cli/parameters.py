"""What several commands read from their arguments: a user by email, an account name, a currency code."""
from __future__ import annotations

import click
from babel.numbers import list_currencies

from dashboard.accounts.services import accounts_named
from dashboard.auth.services import find_user
from dashboard.extensions import db
from dashboard.models import Account, User

ACCOUNT_NAME_LENGTH = Account.name.type.length


def user_or_fail(email: str) -> User:
    """The user with this email, or a one-line error naming it."""
    user = find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"there is no user {email}")
    return user


def account_name(_ctx, _param, value: str) -> str:
    """Click callback: an account name that fits its column."""
    name = value.strip()
    if not name or len(name) > ACCOUNT_NAME_LENGTH:
        raise click.BadParameter(f"an account name has 1 to {ACCOUNT_NAME_LENGTH} characters")
    return name


def currency_code(_ctx, _param, value: str) -> str:
    """Click callback: an ISO 4217 currency code, upper-cased."""
    code = value.strip().upper()
    if code not in list_currencies():
        raise click.BadParameter(f"{value!r} is not an ISO 4217 currency code such as GBP, EUR or USD")
    return code


def one_account(user: User, name: str, required: bool = True) -> Account | None:
    """The user's account called ``name`` (ignoring case: names are unique so, in the database too);
    a one-line error when none (if ``required``)."""
    named = accounts_named(db.session, user.id, name)
    if not named and required:
        raise click.ClickException(f"{user.email} has no account named {name!r}")
    return named[0] if named else None
