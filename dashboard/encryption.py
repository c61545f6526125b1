"""Secrets at rest (Teller access tokens, TOTP secrets): MultiFernet over ENCRYPTION_KEY.

ENCRYPTION_KEY is one Fernet key, or several separated by commas, newest first:
new tokens are made with the first key, and every key still decrypts, so a
key is rotated by putting a new one in front and re-encrypting with
:func:`rotate`. The MultiFernet is built once per app and kept in
``app.extensions``; no message here ever contains a key or a token.

Every model column that holds a token registers itself with
:func:`register_encrypted_column`, so `keys rotate` re-encrypts columns it
has never heard of by name.
"""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from config import ConfigurationError

EXTENSION = "encryption"

ENCRYPTED_COLUMNS: list = []
"""The model attributes (``Model.column``) that hold :func:`encrypt` tokens, filled by the models as they load."""


def register_encrypted_column(attribute) -> None:
    """Declare ``Model.column`` as holding encrypted tokens (call after the class body)."""
    if attribute not in ENCRYPTED_COLUMNS:
        ENCRYPTED_COLUMNS.append(attribute)


class EncryptionError(RuntimeError):
    """ENCRYPTION_KEY is missing or malformed, or a token does not decrypt with any of its keys."""


def keys_from_setting(setting: str | None) -> list[Fernet]:
    """The Fernet keys of an ENCRYPTION_KEY value, newest first; refused, without echoing it, unless each is valid."""
    parts = [part.strip() for part in (setting or "").split(",")]
    if not any(parts):
        raise EncryptionError("ENCRYPTION_KEY is not set")
    keys = []
    for number, part in enumerate(parts, start=1):
        try:
            keys.append(Fernet(part))
        except (ValueError, TypeError):
            raise EncryptionError(
                f"ENCRYPTION_KEY key {number} of {len(parts)} is not a Fernet key "
                "(32 url-safe base64-encoded bytes, as Fernet.generate_key() makes)") from None
    return keys


def init_app(app) -> None:
    """Build the app's MultiFernet when ENCRYPTION_KEY is set; without it, encrypting fails when first tried."""
    setting = app.config.get("ENCRYPTION_KEY")
    try:
        app.extensions[EXTENSION] = MultiFernet(keys_from_setting(setting)) if setting else None
    except EncryptionError as error:
        raise ConfigurationError(str(error)) from None


def _fernet() -> MultiFernet:
    fernet = current_app.extensions.get(EXTENSION)
    if fernet is None:
        raise EncryptionError("ENCRYPTION_KEY is not set, so secrets cannot be stored or read")
    return fernet


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    return _unlocked(_fernet().decrypt, token).decode("utf-8")


def rotate(token: str) -> str:
    """The same secret encrypted with the newest key (for `keys rotate`)."""
    return _unlocked(_fernet().rotate, token).decode("ascii")


def _unlocked(operation, token: str) -> bytes:
    try:
        return operation(token)
    except (InvalidToken, ValueError):
        raise EncryptionError("a stored secret does not decrypt with any ENCRYPTION_KEY key") from None
