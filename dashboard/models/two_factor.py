"""Two-factor sign-in: a TOTP secret per user (encrypted at rest) and one-time recovery codes (hashed)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.encryption import register_encrypted_column
from dashboard.models.base import Base, utcnow


class TotpCredential(Base):
    """A user's authenticator: enrolled once ``confirmed_at`` is set (a code from the app was entered)."""

    __tablename__ = "totp_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)  # dashboard.encryption token of the base32 secret
    confirmed_at: Mapped[datetime | None]
    # The time step of the last code accepted: a code of that step or an earlier one is a replay.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


register_encrypted_column(TotpCredential.secret_encrypted)


class RecoveryCode(Base):
    """One single-use code for when the authenticator is lost; only its sha256 is stored."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"), Index("ix_recovery_codes_user_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]
