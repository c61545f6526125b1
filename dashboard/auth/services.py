"""Users and passwords, without a request: the CLI and the views share these."""
from __future__ import annotations

from functools import cache

from email_validator import EmailNotValidError, validate_email

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.models import User
from dashboard.models.base import utcnow
from dashboard.models.users import MIN_PASSWORD_LENGTH, Role, normalise_email
from werkzeug.security import check_password_hash, generate_password_hash


@cache
def _decoy_hash() -> str:
    """Checked when the email is unknown, so a wrong email costs as long as a wrong password."""
    return generate_password_hash("decoy password")


class UserExists(ValueError):
    pass


def valid_email(email: str) -> str:
    """The address normalised and lower-cased, as stored; ValueError saying what is wrong with it otherwise.

    Deliverability is not checked: that needs DNS, and an operator may create users offline.
    """
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"{email.strip()!r} is not an email address: {error}") from None
    return normalise_email(checked.normalized)


def check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None; records the login time."""
    user = find_user(session, email)
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def create_user(session: Session, email: str, password: str, role: Role = Role.USER) -> User:
    """A new user; ValueError (UserExists for a taken email) with a one-line reason when the email or password won't do."""
    email = valid_email(email)
    check_password_rule(password)
    if find_user(session, email) is not None:
        raise UserExists(f"a user with email {email} already exists")
    user = User(email=email, role=Role(role))
    user.set_password(password)
    session.add(user)
    session.flush()
    return user
