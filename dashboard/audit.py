"""The only writer of audit events: who did what to whose data, when and from where.

Append-only, inside the caller's database transaction, so an event is stored
exactly when the change it describes is. Actions are one vocabulary,
:class:`AuditAction`, with dotted names grouped by area.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from dashboard.models import AuditEvent
from dashboard.models.base import utcnow


class AuditAction(StrEnum):
    AUTH_LOGIN = "auth.login"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOGOUT = "auth.logout"
    AUTH_PASSWORD_CHANGED = "auth.password_changed"
    ACCOUNT_CREATE = "account.create"
    ACCOUNT_EDIT = "account.edit"
    ACCOUNT_CLOSE = "account.close"
    ACCOUNT_REOPEN = "account.reopen"
    ACCOUNT_DELETE = "account.delete"
    ACCOUNT_RECONCILE = "account.reconcile"
    TRANSACTION_ADD = "transaction.add"
    TRANSACTION_DELETE = "transaction.delete"
    TRANSACTION_RESTORE = "transaction.restore"
    TRANSFER_LINK = "transfer.link"
    TRANSFER_UNLINK = "transfer.unlink"
    TRANSACTION_EDIT = "transaction.edit"
    TRANSACTION_CATEGORISE = "transaction.categorise"
    IMPORT_CREATE = "import.create"
    IMPORT_UNDO = "import.undo"


@dataclass(frozen=True)
class Actor:
    """Who acts and from where: a signed-in user, an operator at the CLI (``user_id`` None), a token, a sync."""

    user_id: int | None
    remote_addr: str | None = None

    @classmethod
    def system(cls) -> Actor:
        """The CLI, cron or a background job acting without a signed-in person."""
        return cls(user_id=None, remote_addr=None)


def record_event(session: Session, action: AuditAction, actor: Actor, owner_id: int | None = None,
                 target: str | None = None, details: dict | None = None) -> AuditEvent:
    """Add one event: ``actor`` did ``action`` to ``target``, which belongs to ``owner_id``."""
    event = AuditEvent(action=AuditAction(action).value, actor_id=actor.user_id, owner_id=owner_id,
                       target=target, details=details, remote_addr=actor.remote_addr, created_at=utcnow())
    session.add(event)
    return event
