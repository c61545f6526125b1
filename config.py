"""Configuration classes, read from the environment.

Every secret may be given as ``NAME`` or as ``NAME_FILE`` (a path whose
contents are the value), so container secrets work without a shell wrapper.
"""
import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SQLITE_PATH = BASE_DIR / "instance" / "dashboard.db"
DEV_SECRET_KEY = "dev-only-not-secret"


class ConfigurationError(RuntimeError):
    """Settings the app refuses to start with; the message is one line for the operator."""


def env_value(name: str, default: str | None = None) -> str | None:
    """The value of NAME, or the contents of the file NAME_FILE points at."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def pnl_ranges() -> list | None:
    text = os.environ.get("PNL_RANGES")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise ConfigurationError(f"PNL_RANGES is not JSON: {error}") from None


def database_url() -> str:
    url = env_value("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Heroku-style URLs name the dialect "postgres", which SQLAlchemy 2 rejects.
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    return url


class Config:
    """Settings shared by every environment; read when the app is built, not at import."""

    APP_ENV = "development"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    RATELIMIT_HEADERS_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = False
    FORCE_HTTPS = False
    WTF_CSRF_TIME_LIMIT = None
    # Everything a page loads comes from this site: no inline script or style.
    CONTENT_SECURITY_POLICY = {
        "default-src": "'self'",
        "img-src": "'self' data:",
        "style-src": "'self'",
        "script-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }

    def __init__(self) -> None:
        self.SECRET_KEY = env_value("SECRET_KEY") or DEV_SECRET_KEY
        self.ENCRYPTION_KEY = env_value("ENCRYPTION_KEY")
        self.SQLALCHEMY_DATABASE_URI = database_url()
        self.MAX_CONTENT_LENGTH = env_int("MAX_UPLOAD_MB", 20) * 1024 * 1024
        self.DATABASE_WAIT_SECONDS = env_int("DATABASE_WAIT_SECONDS", 30)
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
        # How many reverse proxies (load balancers) sit in front and set X-Forwarded-For/-Proto.
        self.TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
        self.TELLER_API_URL = env_value("TELLER_API_URL", "https://api.teller.io")
        self.TELLER_ENVIRONMENT = env_value("TELLER_ENVIRONMENT", "sandbox")
        self.TELLER_APPLICATION_ID = env_value("TELLER_APPLICATION_ID")
        self.TELLER_CERT_FILE = env_value("TELLER_CERT_FILE")
        self.TELLER_KEY_FILE = env_value("TELLER_KEY_FILE")
        # Profit-and-loss nominal-code ranges: None for those of the Sage 50 UK kinds, or as JSON a list of
        # {"key", "label", "low", "high", "kind": "revenue" | "direct" | "overhead"}.
        self.PNL_RANGES = pnl_ranges()


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    APP_ENV = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False

    def __init__(self, database_url: str = "sqlite://") -> None:
        super().__init__()
        self.SECRET_KEY = "testing-secret"
        self.SQLALCHEMY_DATABASE_URI = database_url


class ProductionConfig(Config):
    APP_ENV = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    FORCE_HTTPS = os.environ.get("FORCE_HTTPS", "1") != "0"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for_environment() -> type[Config]:
    name = os.environ.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise ConfigurationError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
