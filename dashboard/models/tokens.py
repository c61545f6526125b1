"""Personal access tokens for the JSON API: only a hash of each token is stored."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.models.base import Base


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_owner_id", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # sha256 of the whole token (hex); the token is high-entropy, so a plain hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown in the list so a user can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    read_only: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    owner = relationship("User")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name}>"
