"""Teller enrollments (a user's connection to one bank), the accounts each feeds, pending-to-posted matches
for the user to review, and webhook events seen."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.encryption import register_encrypted_column
from dashboard.models.base import Base


class EnrollmentStatus(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # the bank or Teller broke it (reason kept): the user reconnects
    REVOKED = "revoked"  # the token was refused (401/403)
    REMOVED = "removed"  # the user disconnected it: its accounts stay, no longer syncing


class TellerAccountStatus(StrEnum):
    SYNCING = "syncing"
    CLOSED = "closed"  # Teller answered 410: history kept, never fetched again
    STOPPED = "stopped"  # its enrollment was disconnected by the user


class TellerEnrollment(Base):
    __tablename__ = "teller_enrollments"
    __table_args__ = (UniqueConstraint("owner_id", "enrollment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    enrollment_id: Mapped[str] = mapped_column(String(128))
    institution: Mapped[str | None] = mapped_column(String(120))
    # Encrypted with dashboard.encryption (MultiFernet); never shown, never logged.
    access_token: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=EnrollmentStatus.CONNECTED)
    status_reason: Mapped[str | None] = mapped_column(String(255))
    last_synced_at: Mapped[datetime | None]
    # Set while a sync runs (any worker, any host): a second sync waits for it. A claim older than the job
    # timeout is a worker that died, and lapses.
    sync_started_at: Mapped[datetime | None]
    # What the last sync did per account ({"accounts": [...], "error": ...}), shown on the connections page.
    last_result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    accounts = relationship("TellerAccount", back_populates="enrollment")


register_encrypted_column(TellerEnrollment.access_token)


class TellerAccount(Base):
    """Which enrollment feeds an account, and whether it still syncs."""

    __tablename__ = "teller_accounts"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("teller_enrollments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=TellerAccountStatus.SYNCING)

    enrollment = relationship("TellerEnrollment", back_populates="accounts")
    account = relationship("Account")


class MatchReviewStatus(StrEnum):
    OPEN = "open"  # waiting for the user
    DISMISSED = "dismissed"  # the user said they are two transactions: both stay


class TellerMatchReview(Base):
    """A posted row that probably, but not surely, is a pending row the bank dropped.

    Both rows stay until the user decides: confirming deletes the pending row
    (its category passes to the posted one), dismissing keeps both. A pending
    row under review is never removed by the pending window.
    """

    __tablename__ = "teller_match_reviews"
    __table_args__ = (Index("ix_teller_match_reviews_owner_status", "owner_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    pending_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"), unique=True)
    posted_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=MatchReviewStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    resolved_at: Mapped[datetime | None]

    account = relationship("Account")
    pending = relationship("Transaction", foreign_keys=[pending_id])
    posted = relationship("Transaction", foreign_keys=[posted_id])


class TellerWebhookEvent(Base):
    """Each webhook event id accepted once: a replayed delivery is refused by the unique key."""

    __tablename__ = "teller_webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
