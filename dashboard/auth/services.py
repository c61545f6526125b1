"""Users and passwords, without a request: the CLI and the views share these.

The administration functions take the :class:`Actor` who makes the change and
record it in the audit log, the changed user being the event's owner.
"""
from __future__ import annotations

from functools import cache

from email_validator import EmailNotValidError, validate_email

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.audit import Actor, AuditAction, lock_chain, record_event
from dashboard.auth.sessions import end_every_session
from dashboard.models import User
from dashboard.models.users import MIN_PASSWORD_LENGTH, Role, normalise_email
from dashboard.passwords import hash_password, needs_rehash, verify_password


@cache
def _decoy_hash() -> str:
    """Checked when the email is unknown, so a wrong email costs as long as a wrong password."""
    return hash_password("decoy password")


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
    """The active user with this email and password, or None (the login time is recorded once fully signed in).

    A password hash of an older scheme is replaced by a current one here, committed with the login.
    """
    user = find_user(session, email)
    if user is None:
        verify_password(_decoy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.set_password(password)
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


class LastAdmin(ValueError):
    """The change would leave the installation without an active admin, so nobody could administer it."""


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def _record_user_change(session: Session, action: AuditAction, actor: Actor, user: User, **details) -> None:
    record_event(session, action, actor, owner_id=user.id, target=user.email, details=details or None)


def add_user(session: Session, actor: Actor, email: str, password: str, role: Role = Role.USER) -> User:
    """:func:`create_user`, audited as ``actor``'s doing."""
    user = create_user(session, email, password, role)
    _record_user_change(session, AuditAction.USER_CREATE, actor, user, role=user.role)
    return user


def _keep_an_admin(session: Session, user: User) -> None:
    """LastAdmin when ``user`` is the only active admin.

    The audit chain's lock is taken before the other admins are counted, so two admins demoting each other at
    the same moment cannot both succeed: the second waits, then no longer sees the first as an admin.
    """
    if not (user.active and user.is_admin):
        return
    lock_chain(session)
    others = session.scalars(select(User.id).where(
        User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)).all()
    if not others:
        raise LastAdmin(f"the last active admin, {user.email}, can be neither deactivated nor demoted; "
                        "make another user an admin first")


def deactivate_user(session: Session, actor: Actor, user: User) -> None:
    """The user can no longer log in, and every session they have ends."""
    if actor.user_id == user.id:
        raise ValueError("you cannot deactivate your own account")
    if not user.active:
        return
    _keep_an_admin(session, user)
    user.active = False
    end_every_session(session, user)
    _record_user_change(session, AuditAction.USER_DEACTIVATE, actor, user)


def activate_user(session: Session, actor: Actor, user: User) -> None:
    if user.active:
        return
    user.active = True
    _record_user_change(session, AuditAction.USER_ACTIVATE, actor, user)


def set_role(session: Session, actor: Actor, user: User, role: Role) -> None:
    role = Role(role)
    if user.role == role:
        return
    if role != Role.ADMIN:
        _keep_an_admin(session, user)
    previous, user.role = user.role, role
    _record_user_change(session, AuditAction.USER_SET_ROLE, actor, user, previous=previous, role=role.value)


def reset_password(session: Session, actor: Actor, user: User, password: str) -> None:
    """A temporary password the user must change at their next login; every session they have ends."""
    check_password_rule(password)
    user.set_password(password)
    user.must_change_password = True
    end_every_session(session, user)
    _record_user_change(session, AuditAction.USER_RESET_PASSWORD, actor, user)
