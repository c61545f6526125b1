from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, String, func
from sqlalchemy.orm import Mapped, mapped_column
from dashboard.models.base import Base
from dashboard.passwords import hash_password, verify_password


class Role(StrEnum):
    USER = "user"  # their own accounts and those shared with them
    VIEWER = "viewer"  # a bookkeeper: organisation-wide reports and nothing else
    ADMIN = "admin"  # everything, and the administration pages


MIN_PASSWORD_LENGTH = 12


def normalise_email(email: str) -> str:
    return email.strip().lower()


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique index makes email case-insensitive on both engines.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.USER)
    active: Mapped[bool] = mapped_column(default=True)
    # Set by an admin's password reset: the next login asks for a new password before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Kept in every session and remember cookie and compared on each request; bumping it signs out
    # every session of the user, in every process and on every host.
    session_version: Mapped[int] = mapped_column(default=1)
    # The user's choices: "date_order" ("dmy" or "mdy") for ambiguous files, "locale", ...
    preferences: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_login_at: Mapped[datetime | None]

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    # The key of the signed-in session this object serves (see dashboard.auth.sessions); not a column.
    session_key = None  # type: str | None
    # Whether two-factor is required and this user has not enrolled, as read with the session row; not a column.
    two_factor_due = None  # type: bool | None
    # The currency of their first money account, as read with the session row (the home currency's fallback).
    first_money_currency = None  # type: str | None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie: the id, the session version and the
        key of this browser's session row."""
        return f"{self.id}:{self.session_version}:{self.session_key or ''}"

    def end_sessions(self) -> None:
        """Sign out every session and remember cookie of this user (checked on their next request); see also
        ``dashboard.auth.sessions.end_every_session``, which removes their session rows too."""
        self.session_version += 1

    def __repr__(self) -> str:
        return f"<User {self.email}>"
