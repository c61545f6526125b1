"""Signed-in sessions kept in the database: started at login, checked on each request, ended one by one.

The browser's session and remember cookies carry the user's id, their session version and a random key;
the database keeps only the key's sha256 (:class:`~dashboard.models.UserSession`). Every process and
host reads the same rows, so ending a session (deleting its row) signs that browser out on its next request
wherever it lands. Bumping ``users.session_version`` still ends every session at once (deactivation, an
admin's password reset).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, bindparam, delete, select
from sqlalchemy.orm import Session
from ua_parser import parse as parse_user_agent

from dashboard.models import User, UserSession
from dashboard.models.base import utcnow

LAST_SEEN_EVERY = timedelta(minutes=1)  # how stale "last seen" may get: at most one write a minute per session
USER_AGENT_LENGTH = UserSession.user_agent.type.length
ADDRESS_LENGTH = UserSession.remote_addr.type.length


def key_hash(key: str) -> str:
    """The key is 256 random bits, so a plain hash is enough (nothing to guess it from)."""
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(session: Session, user: User, user_agent: str | None, remote_addr: str | None,
                  lifetime: timedelta) -> str:
    """A new session for ``user``; returns its key (kept in the cookie, never stored).

    Sessions of the user not seen within ``lifetime`` (no cookie can still name them) are removed here.
    """
    now = utcnow()
    session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                              UserSession.last_seen_at < now - lifetime))
    key = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, key_hash=key_hash(key), created_at=now, last_seen_at=now,
                            user_agent=(user_agent or "")[:USER_AGENT_LENGTH] or None,
                            remote_addr=(remote_addr or "")[:ADDRESS_LENGTH] or None))
    session.flush()
    return key


def sign_in_query(*also: ColumnElement) -> Select:
    """What :func:`session_of` runs: the user and their session named by a key hash, not ended nor lapsed, then
    the values of ``also`` (columns about the user that every request needs). Built once by its caller, so a
    request pays for running it, not for building it."""
    return (select(User, UserSession, *also).join(UserSession, UserSession.user_id == User.id)
            .where(User.id == bindparam("user_id"), UserSession.key_hash == bindparam("key_hash"),
                   UserSession.last_seen_at >= bindparam("seen_since")))


def session_of(session: Session, query: Select, user_id: int, key: str, lifetime: timedelta) -> tuple | None:
    """The row of ``query`` (see :func:`sign_in_query`) for the user's session named by ``key``, in one round
    trip; None when the session was ended or has lapsed."""
    row = session.execute(query, {"user_id": user_id, "key_hash": key_hash(key),
                                  "seen_since": utcnow() - lifetime}).first()
    return tuple(row) if row else None


def session_id_of(session: Session, user: User) -> int | None:
    """The id of the session row that ``user`` (as loaded for this request) was signed in with."""
    if not user.session_key:
        return None
    return session.scalar(select(UserSession.id).where(UserSession.user_id == user.id,
                                                       UserSession.key_hash == key_hash(user.session_key)))


def seen_now(record: UserSession, now: datetime | None = None) -> bool:
    """Move "last seen" to now when it is more than a minute old; whether it changed (and needs a commit)."""
    now = now or utcnow()
    if now - record.last_seen_at < LAST_SEEN_EVERY:
        return False
    record.last_seen_at = now
    return True


def sessions_of(session: Session, user_id: int) -> list[UserSession]:
    """The user's sessions, the most recently seen first."""
    return list(session.scalars(select(UserSession).where(UserSession.user_id == user_id)
                                .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def end_session(session: Session, user_id: int, session_id: int) -> bool:
    """End one of the user's sessions; False when they have none with this id."""
    return bool(session.execute(delete(UserSession).where(UserSession.user_id == user_id,
                                                          UserSession.id == session_id)).rowcount)


def end_other_sessions(session: Session, user_id: int, keep_id: int | None) -> int:
    """End every session of the user but ``keep_id`` (this browser's); how many ended."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_id is not None:
        query = query.where(UserSession.id != keep_id)
    return session.execute(query).rowcount


def end_every_session(session: Session, user: User) -> None:
    """Sign the user out everywhere: their sessions are removed and the session version moves on."""
    end_other_sessions(session, user.id, keep_id=None)
    user.end_sessions()


@dataclass(frozen=True)
class Device:
    browser: str
    system: str

    def __str__(self) -> str:
        return f"{self.browser} on {self.system}"


def device_of(user_agent: str | None) -> Device:
    """The browser and operating system a User-Agent names, as the sessions list shows them."""
    parsed = parse_user_agent(user_agent or "")
    known_browser = parsed.user_agent and parsed.user_agent.family != "Other"
    browser = parsed.user_agent.family if known_browser else "Unknown browser"
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else "an unknown system"
    return Device(browser, system)
