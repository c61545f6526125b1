"""Personal access tokens: made, listed, revoked and checked here, for the settings pages, the CLI and the API.

A token is ``fdt_`` and 40 random URL-safe characters (240 bits); only its
sha256 is stored, so a database leak leaks no usable token, and a plain hash
is enough because the secret is not guessable (no password stretching needed).
The prefix makes a leaked token easy to recognise in logs and secret scanners.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.access import storable_id
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.models import ApiToken, User
from dashboard.models.base import utcnow

TOKEN_PREFIX = "fdt_"
MAX_NAME_LENGTH = 100
MAX_EXPIRY_DAYS = 3650


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, actor: Actor, user: User, name: str, read_only: bool = False,
                 expires_days: int | None = None) -> NewToken:
    """A new token for ``user``, audited; the caller commits and shows ``secret`` once."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a token needs a name of 1 to {MAX_NAME_LENGTH} characters")
    if expires_days is not None and not 0 < expires_days <= MAX_EXPIRY_DAYS:
        raise ValueError(f"a token expires after 1 to {MAX_EXPIRY_DAYS} days")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken(owner_id=user.id, name=name, token_hash=token_hash(secret), prefix=secret[:10],
                     read_only=read_only,
                     expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None)
    session.add(token)
    session.flush()
    record_event(session, AuditAction.TOKEN_CREATE, actor, owner_id=user.id, target=f"token:{token.id}",
                 details={"name": name, "read_only": read_only, "expires_at": _iso(token.expires_at)})
    return NewToken(token, secret)


def user_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's tokens that are not revoked, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.owner_id == user_id, ApiToken.revoked_at.is_(None))
                                .order_by(ApiToken.id.desc())))


def revoke_token(session: Session, actor: Actor, user_id: int, token_id: int) -> bool:
    """Revoke one of the user's own tokens, audited; False when it is not theirs or already revoked."""
    token = session.get(ApiToken, token_id) if storable_id(token_id) else None
    if token is None or token.owner_id != user_id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record_event(session, AuditAction.TOKEN_REVOKE, actor, owner_id=user_id, target=f"token:{token.id}",
                 details={"name": token.name})
    return True


def authenticate(session: Session, secret: str, remote_addr: str | None = None) -> ApiToken | None:
    """The live token this secret is, with its active owner; None otherwise. Records its use.

    ``last_used_at`` is renewed on every request; the audit log gets one
    ``token.use`` event per token per day, so scripts polling every minute do
    not flood it.
    """
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.owner.is_active:
        return None
    if token.last_used_at is None or token.last_used_at.date() != now.date():
        record_event(session, AuditAction.TOKEN_USE, Actor(token.owner_id, remote_addr), owner_id=token.owner_id,
                     target=f"token:{token.id}", details={"name": token.name})
    token.last_used_at = now
    session.commit()
    return token


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
