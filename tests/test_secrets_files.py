"""Every secret may be given as NAME_FILE, a path whose contents are the value (container secrets)."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

import config as settings

SECRETS = {
    "SECRET_KEY": "a-secret-key-read-from-a-file-0123456789",
    "DATABASE_URL": "postgresql://app:file-password@db.internal/dashboard",
    "ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "REDIS_URL": "redis://:redis-password@cache.internal:6379/0",
    "TELLER_APPLICATION_ID": "app_file_123",
    "TELLER_SIGNING_SECRET": "signing-secret-from-a-file",
    "TELLER_API_URL": "https://teller.example.test",
    "TELLER_ENVIRONMENT": "development",
}
ATTRIBUTE = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}


@pytest.fixture
def clean_environment(monkeypatch):
    for name in [*SECRETS, "DATABASE_SECRET_ID", "TELLER_CERT_FILE", "TELLER_KEY_FILE"]:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    return monkeypatch


@pytest.mark.parametrize("name", SECRETS)
def test_each_secret_is_read_from_its_file_with_the_trailing_newline_dropped(clean_environment, tmp_path, name):
    path = tmp_path / name.lower()
    path.write_text(SECRETS[name] + "\n", encoding="utf-8")
    clean_environment.setenv(f"{name}_FILE", str(path))
    assert getattr(settings.ProductionConfig(), ATTRIBUTE.get(name, name)) == SECRETS[name]


@pytest.mark.parametrize("name", SECRETS)
def test_the_file_wins_over_the_plain_variable(clean_environment, tmp_path, name):
    path = tmp_path / "value"
    path.write_text(SECRETS[name], encoding="utf-8")
    clean_environment.setenv(name, "postgresql://plain@elsewhere/x" if name == "DATABASE_URL" else "plain")
    clean_environment.setenv(f"{name}_FILE", str(path))
    assert getattr(settings.DevelopmentConfig(), ATTRIBUTE.get(name, name)) == SECRETS[name]


def test_the_teller_certificate_paths_are_plain_paths(clean_environment):
    """TELLER_CERT_FILE and TELLER_KEY_FILE already name files: they are read as given, not as NAME_FILE."""
    clean_environment.setenv("TELLER_CERT_FILE", "/run/secrets/teller.pem")
    clean_environment.setenv("TELLER_KEY_FILE", "/run/secrets/teller.key")
    config = settings.DevelopmentConfig()
    assert (config.TELLER_CERT_FILE, config.TELLER_KEY_FILE) == ("/run/secrets/teller.pem", "/run/secrets/teller.key")
