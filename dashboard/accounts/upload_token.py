"""The uploaded file carried between the import steps: compressed and signed for one owner and account.

The bytes travel in a hidden form field, so any app process can finish an
import and none keeps state. The token is signed with the app's SECRET_KEY
(salted for this use), expires after an hour, and names the owner and the
account it was made for, so it cannot be replayed into another account.
"""
from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass

from flask import Flask
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

UPLOAD_MAX_AGE_SECONDS = 3600
SALT = "dashboard.import-upload"


class UploadExpired(ValueError):
    pass


@dataclass(frozen=True)
class UploadSigner:
    """Signs and reads upload tokens with one key; ``max_size`` bounds what a token may inflate to."""

    secret_key: str | bytes
    max_size: int
    max_age: int = UPLOAD_MAX_AGE_SECONDS

    @classmethod
    def of_app(cls, app: Flask) -> UploadSigner:
        """The app's signer: its SECRET_KEY, and its upload limit as the largest file."""
        return cls(app.secret_key, app.config["MAX_CONTENT_LENGTH"])

    def sign(self, data: bytes, filename: str, owner_id: int, account_id: int) -> str:
        body = base64.urlsafe_b64encode(zlib.compress(data)).decode()
        name = base64.urlsafe_b64encode(filename.encode()).decode()
        return self._signer().sign(f"{owner_id}.{account_id}.{name}.{body}").decode()

    def read(self, token: str, owner_id: int, account_id: int) -> tuple[bytes, str]:
        """The bytes and file name signed for this owner and account; UploadExpired otherwise."""
        try:
            value = self._signer().unsign(token, max_age=self.max_age).decode()
            owner, account, name, body = value.split(".", 3)
            if (int(owner), int(account)) != (owner_id, account_id):
                raise BadSignature("signed for another account")
            inflate = zlib.decompressobj()
            data = inflate.decompress(base64.urlsafe_b64decode(body), self.max_size + 1)
            return data, base64.urlsafe_b64decode(name).decode()
        except SignatureExpired:
            raise UploadExpired("The preview is more than an hour old; choose the file again.") from None
        except (BadSignature, ValueError, binascii.Error, zlib.error):
            raise UploadExpired("The upload could not be read back; choose the file again.") from None

    def _signer(self) -> TimestampSigner:
        return TimestampSigner(self.secret_key, salt=SALT)
