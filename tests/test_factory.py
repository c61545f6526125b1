"""The application factory and configuration from the environment."""
import pytest
from cryptography.fernet import Fernet

from config import ConfigurationError, DevelopmentConfig, ProductionConfig, env_value
from dashboard import create_app

STRONG_SECRET = "x" * 40
FERNET_KEY = Fernet.generate_key().decode()


def test_factory_builds_without_a_live_database():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none"})
    assert "accounts.overview" in app.view_functions


def test_development_is_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    app = create_app()
    assert app.config["APP_ENV"] == "development"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL_FILE", raising=False)
    assert DevelopmentConfig().SQLALCHEMY_DATABASE_URI.endswith("instance/dashboard.db")


def test_production_refuses_to_start_without_real_secrets(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ENCRYPTION_KEY", raising=False)
    with pytest.raises(RuntimeError) as error:
        create_app()
    message = str(error.value)
    assert "\n" not in message
    assert "SECRET_KEY" in message and "ENCRYPTION_KEY" in message


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "dev-only-not-secret")
    monkeypatch.setenv("ENCRYPTION_KEY", FERNET_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_with_secrets_turns_on_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("ENCRYPTION_KEY", FERNET_KEY)
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/healthz", base_url="https://dash.example")
    assert "max-age" in response.headers["Strict-Transport-Security"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_secrets_may_come_from_files(monkeypatch, tmp_path):
    secret_file, key_file = tmp_path / "secret", tmp_path / "key"
    secret_file.write_text(STRONG_SECRET + "\n")
    key_file.write_text(FERNET_KEY + "\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret_file))
    monkeypatch.setenv("ENCRYPTION_KEY_FILE", str(key_file))
    monkeypatch.setenv("DATABASE_URL_FILE", str(tmp_path / "url"))
    (tmp_path / "url").write_text(f"sqlite:///{tmp_path / 'from-file.db'}")
    assert env_value("SECRET_KEY") == STRONG_SECRET
    app = create_app(ProductionConfig)
    assert app.config["SECRET_KEY"] == STRONG_SECRET
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("from-file.db")


@pytest.mark.parametrize("setting", [STRONG_SECRET, f"{FERNET_KEY},not-a-key", FERNET_KEY[:-4]])
def test_production_refuses_an_encryption_key_that_is_not_fernet_keys(monkeypatch, setting):
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("ENCRYPTION_KEY", setting)
    with pytest.raises(ConfigurationError, match="ENCRYPTION_KEY") as error:
        create_app(ProductionConfig)
    message = str(error.value)
    assert "\n" not in message
    assert all(part not in message for part in setting.split(","))


def test_production_accepts_several_keys_for_rotation(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("ENCRYPTION_KEY", f"{Fernet.generate_key().decode()}, {FERNET_KEY}")
    assert create_app(ProductionConfig).config["APP_ENV"] == "production"


def test_unknown_app_env_is_refused(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(RuntimeError, match="APP_ENV"):
        create_app()


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_negative_filtered_totals_limit_stops_start_up_with_its_name(monkeypatch):
    monkeypatch.setenv("FILTERED_TOTALS_LIMIT", "-1")
    with pytest.raises(ConfigurationError, match="FILTERED_TOTALS_LIMIT"):
        create_app(DevelopmentConfig)
    monkeypatch.setenv("FILTERED_TOTALS_LIMIT", "250")
    assert create_app(DevelopmentConfig).config["FILTERED_TOTALS_LIMIT"] == 250
