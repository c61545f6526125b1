"""Two-factor sign-in: a TOTP secret per user (encrypted at rest) and one-time recovery codes (hashed)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
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


class Passkey(Base):
    """A WebAuthn credential (a passkey) registered as a second factor; its public key only, never a secret."""

    __tablename__ = "passkeys"
    __table_args__ = (Index("ix_passkeys_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE-encoded, as the authenticator gave it
    # The authenticator's signature counter: a later use must show a greater one (a cloned key does not).
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class PasskeyChallenge(Base):
    """The one outstanding WebAuthn challenge of a user for a ceremony (register or sign in), kept on the server
    so it is used once: checking a response deletes it, and a new one replaces it."""

    __tablename__ = "passkey_challenges"
    __table_args__ = (UniqueConstraint("user_id", "ceremony"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ceremony: Mapped[str] = mapped_column(String(16))
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
