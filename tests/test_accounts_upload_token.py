"""The signed upload between the import steps: it reads back unaltered, for its owner and account, within the hour."""
from __future__ import annotations

import time

import pytest

from dashboard.accounts.upload_token import UPLOAD_MAX_AGE_SECONDS, UploadExpired, UploadSigner

SIGNER = UploadSigner("a secret key for these tests", max_size=1024 * 1024)
DATA = b"Date,Description,Amount\n2025-01-05,Caf\xc3\xa9,-3.50\n" * 50


def test_a_token_reads_back_the_bytes_and_the_file_name():
    token = SIGNER.sign(DATA, "relevé janvier.csv", owner_id=7, account_id=42)
    assert SIGNER.read(token, 7, 42) == (DATA, "relevé janvier.csv")
    assert len(token) < len(DATA)  # compressed, so a file travels back in fewer bytes than it came


@pytest.mark.parametrize(("owner_id", "account_id"), [(7, 43), (8, 42)])
def test_a_token_for_another_account_or_owner_is_refused(owner_id, account_id):
    token = SIGNER.sign(DATA, "january.csv", owner_id=7, account_id=42)
    with pytest.raises(UploadExpired, match="could not be read back"):
        SIGNER.read(token, owner_id, account_id)


def test_a_tampered_token_or_another_key_is_refused():
    token = SIGNER.sign(DATA, "january.csv", owner_id=7, account_id=42)
    _, _, rest = token.split(".", 2)
    forgeries = [(token[:-3] + "abc", 42), (f"7.43.{rest}", 43), ("", 42), ("not a token", 42)]
    for forged, account_id in forgeries:
        with pytest.raises(UploadExpired, match="could not be read back"):
            SIGNER.read(forged, 7, account_id)
    with pytest.raises(UploadExpired):
        UploadSigner("another key", max_size=SIGNER.max_size).read(token, 7, 42)


def test_a_token_older_than_an_hour_has_expired(monkeypatch):
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - UPLOAD_MAX_AGE_SECONDS - 1)
    token = SIGNER.sign(DATA, "january.csv", owner_id=7, account_id=42)
    monkeypatch.setattr(time, "time", lambda: now)
    with pytest.raises(UploadExpired, match="more than an hour old"):
        SIGNER.read(token, 7, 42)
    monkeypatch.setattr(time, "time", lambda: now - UPLOAD_MAX_AGE_SECONDS + 60)
    assert SIGNER.read(token, 7, 42)[0] == DATA  # within the hour it still reads


def test_a_token_never_inflates_past_the_largest_file():
    token = SIGNER.sign(b"0" * 4096, "zeros.csv", owner_id=7, account_id=42)
    data, _ = UploadSigner(SIGNER.secret_key, max_size=1000).read(token, 7, 42)
    assert len(data) == 1001  # cut just past the limit: a small token cannot inflate to fill memory


def test_the_apps_signer_uses_its_secret_key_and_upload_limit(app):
    signer = UploadSigner.of_app(app)
    assert (signer.secret_key, signer.max_size) == (app.secret_key, app.config["MAX_CONTENT_LENGTH"])
