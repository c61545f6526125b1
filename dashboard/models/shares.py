"""Accounts shared with other users of the installation, read-only or read-write."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.models.base import Base


class AccountShare(Base):
    """``user`` may read ``account`` (and change its transactions when ``can_write``); the owner keeps managing it."""

    __tablename__ = "account_shares"
    __table_args__ = (
        UniqueConstraint("account_id", "user_id"),
        Index("ix_account_shares_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # The account's owner, stored on the row like every table that grows with use (distributable by owner).
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    can_write: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    account = relationship("Account")
    user = relationship("User", foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<AccountShare account={self.account_id} user={self.user_id} write={self.can_write}>"
