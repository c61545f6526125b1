"""Recording audit events: append-only, inside the caller's transaction."""
from __future__ import annotations

from sqlalchemy.orm import Session

from dashboard.models import AuditEvent


def record_event(session: Session, action: str, actor_id: int | None = None, target: str | None = None,
                 details: dict | None = None, remote_addr: str | None = None) -> AuditEvent:
    event = AuditEvent(actor_id=actor_id, action=action, target=target, details=details, remote_addr=remote_addr)
    session.add(event)
    return event
