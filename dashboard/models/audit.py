from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.models.base import Base


class AuditEvent(Base):
    """Who did what to whose data, when and from where. Append-only: nothing updates or deletes these rows.

    The actor (who acted) is kept apart from the owner (whose data it was): an
    admin resetting a user's password, or a sharee editing a shared account.
    The time is set in Python, not by the database, so it can be part of the
    event's hash. ``prev_hash`` is the hash of the event before it and ``hash``
    its own over its fields and that link (see ``dashboard.audit``), so a
    changed, inserted or removed row breaks the chain.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict | None] = mapped_column(JSON)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
