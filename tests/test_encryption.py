"""Secrets at rest: MultiFernet over ENCRYPTION_KEY, with rotation and errors that never show a key."""
import pytest
from cryptography.fernet import Fernet

import config as settings
from config import ConfigurationError
from dashboard import create_app, encryption
from dashboard.encryption import EncryptionError

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
SECRET = "access-token-sandbox-ünïcode"


def _app(encryption_key):
    config = settings.TestingConfig()
    config.ENCRYPTION_KEY = encryption_key
    return create_app(config)


def test_a_secret_round_trips_and_is_not_stored_in_clear():
    with _app(OLD_KEY).app_context():
        token = encryption.encrypt(SECRET)
        assert SECRET not in token
        assert encryption.decrypt(token) == SECRET


def test_rotation_reads_old_tokens_and_rotate_re_encrypts_with_the_newest_key():
    with _app(OLD_KEY).app_context():
        old_token = encryption.encrypt(SECRET)
    with _app(f"{NEW_KEY},{OLD_KEY}").app_context():
        assert encryption.decrypt(old_token) == SECRET
        rotated = encryption.rotate(old_token)
        assert rotated != old_token
    with _app(NEW_KEY).app_context():
        assert encryption.decrypt(rotated) == SECRET
        with pytest.raises(EncryptionError):
            encryption.decrypt(old_token)


def test_a_token_from_another_key_or_garbage_is_refused_without_showing_them():
    with _app(OLD_KEY).app_context():
        foreign = Fernet(NEW_KEY).encrypt(SECRET.encode()).decode()
        for token in (foreign, "not a token", "ünïcode"):
            with pytest.raises(EncryptionError) as error:
                encryption.decrypt(token)
            assert token not in str(error.value) and OLD_KEY not in str(error.value)


def test_without_a_key_the_app_starts_but_secrets_cannot_be_stored():
    with _app(None).app_context():
        with pytest.raises(EncryptionError, match="ENCRYPTION_KEY is not set"):
            encryption.encrypt(SECRET)


def test_a_malformed_key_stops_start_up_with_one_line_that_hides_it():
    with pytest.raises(ConfigurationError) as error:
        _app(f"{NEW_KEY},{OLD_KEY[:-2]}")
    message = str(error.value)
    assert "\n" not in message and "key 2 of 2" in message
    assert NEW_KEY not in message and OLD_KEY[:-2] not in message
