"""Users and passwords, without a request: the CLI and the views share these."""
from __future__ import annotations

from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.models import User
from dashboard.models.base import utcnow
from dashboard.models.users import Role, normalise_email
from werkzeug.security import check_password_hash, generate_password_hash


@cache
def _decoy_hash() -> str:
    """Checked when the email is unknown, so a wrong email costs as long as a wrong password."""
    return generate_password_hash("decoy password")


class UserExists(ValueError):
    pass


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


def create_user(session: Session, email: str, password: str, admin: bool = False) -> User:
    email = normalise_email(email)
    if "@" not in email:
        raise ValueError(f"{email!r} is not an email address")
    if find_user(session, email) is not None:
        raise UserExists(f"a user with email {email} already exists")
    user = User(email=email, role=Role.ADMIN if admin else Role.USER)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user
