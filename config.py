"""Configuration classes, read from the environment.

Every secret may be given as ``NAME`` or as ``NAME_FILE`` (a path whose
contents are the value), so container secrets work without a shell wrapper.
"""
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SQLITE_PATH = BASE_DIR / "instance" / "dashboard.db"
# The key earlier versions used when none was set: public, so production refuses it.
DEV_SECRET_KEY = "dev-only-not-secret"
GENERATED_SECRET_KEY_PATH = BASE_DIR / "instance" / "secret_key"


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


def generated_secret_key(path: Path = GENERATED_SECRET_KEY_PATH) -> str:
    """A random key made on first start and kept in ``instance/`` (mode 0600), so sessions survive restarts
    and no public key ever signs a cookie; production must configure its own."""
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        # Written whole under another name, then linked: two processes starting at once agree on one key.
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text(encoding="utf-8").strip()


def pnl_ranges() -> list | None:
    text = os.environ.get("PNL_RANGES")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise ConfigurationError(f"PNL_RANGES is not JSON: {error}") from None


def database_url() -> str:
    """DATABASE_URL, or the credentials stored under DATABASE_SECRET_ID in AWS Secrets Manager; checked here so
    that a garbage value stops start-up with one line (which never repeats the URL: it may hold a password)."""
    secret_id = os.environ.get("DATABASE_SECRET_ID")
    if secret_id:
        from dashboard.secrets_manager import SecretsManagerError, database_url_from_secret

        try:
            return database_url_from_secret(secret_id).render_as_string(hide_password=False)
        except SecretsManagerError as error:
            raise ConfigurationError(f"DATABASE_SECRET_ID: {error}") from None
    url = env_value("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Heroku-style URLs name the dialect "postgres", which SQLAlchemy 2 rejects.
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError):
        raise ConfigurationError(
            "DATABASE_URL is not a database URL SQLAlchemy knows, such as postgresql://user:password@host/name "
            "or sqlite:///path/to/file.db") from None
    return url


class Config:
    """Settings shared by every environment; read when the app is built, not at import."""

    APP_ENV = "development"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    RATELIMIT_HEADERS_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A session cookie older than this opens nothing (Flask checks its signed timestamp); "keep me
    # signed in" lasts REMEMBER_COOKIE_DURATION. Both end sooner on logout or a password change.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False
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
        self.SECRET_KEY = env_value("SECRET_KEY") or self.default_secret_key()
        self.ENCRYPTION_KEY = env_value("ENCRYPTION_KEY")
        self.SQLALCHEMY_DATABASE_URI = database_url()
        self.MAX_CONTENT_LENGTH = env_int("MAX_UPLOAD_MB", 20) * 1024 * 1024
        self.DATABASE_WAIT_SECONDS = env_int("DATABASE_WAIT_SECONDS", 30)
        # memory:// counts in each process on its own; Redis shares the counts between workers and hosts.
        self.RATELIMIT_STORAGE_URI = (os.environ.get("RATELIMIT_STORAGE_URI") or env_value("REDIS_URL")
                                      or "memory://")
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
        # How many reverse proxies (load balancers) sit in front and set X-Forwarded-For/-Proto.
        self.TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
        self.TELLER_API_URL = env_value("TELLER_API_URL", "https://api.teller.io")
        self.TELLER_ENVIRONMENT = env_value("TELLER_ENVIRONMENT", "sandbox")
        self.TELLER_APPLICATION_ID = env_value("TELLER_APPLICATION_ID")
        self.TELLER_CERT_FILE = env_value("TELLER_CERT_FILE")
        self.TELLER_KEY_FILE = env_value("TELLER_KEY_FILE")
        # Webhook signing secrets, comma-separated: every one is accepted (Teller rotates them).
        self.TELLER_SIGNING_SECRET = env_value("TELLER_SIGNING_SECRET")
        self.REDIS_URL = env_value("REDIS_URL")
        # Passkeys (WebAuthn): the relying party's id (a domain, the site's host or a parent of it) and the
        # origin the browser reports; when not set, both come from the request's host (behind TRUSTED_PROXIES).
        self.WEBAUTHN_RP_ID = env_value("WEBAUTHN_RP_ID")
        self.WEBAUTHN_ORIGIN = env_value("WEBAUTHN_ORIGIN")
        self.WEBAUTHN_RP_NAME = env_value("WEBAUTHN_RP_NAME", "Financial Dashboard")
        # Profit-and-loss nominal-code ranges: None for those of the Sage 50 UK kinds, or as JSON a list of
        # {"key", "label", "low", "high", "kind": "revenue" | "direct" | "overhead"}.
        self.PNL_RANGES = pnl_ranges()
        # Exchange rates: where `flask rates fetch` reads the ECB's daily XML, and how old a rate may be (days
        # before the date converted) before a figure is shown unconverted and flagged.
        self.ECB_RATES_URL = env_value("ECB_RATES_URL",
                                       "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml")
        self.RATE_MAX_AGE_DAYS = env_int("RATE_MAX_AGE_DAYS", 7)
        # Which vectors similar transactions and category suggestions use (`flask similarity rebuild` after a change).
        self.SIMILARITY_KIND = env_value("SIMILARITY_KIND", "hashing")
        if self.SIMILARITY_KIND not in ("hashing", "wordllama"):
            raise ConfigurationError(f"SIMILARITY_KIND must be hashing or wordllama, not {self.SIMILARITY_KIND!r}")
        # A transfer across currencies is suggested when what arrived is within this percentage of what the
        # money sent buys at the day's rate (banks' spreads and fees).
        self.TRANSFER_RATE_TOLERANCE_PERCENT = env_int("TRANSFER_RATE_TOLERANCE_PERCENT", 3)
        # A filtered view counts and sums its rows with the page when at most this many match; past it the page
        # says "more than N" and the exact totals follow in their own request.
        self.FILTERED_TOTALS_LIMIT = env_int("FILTERED_TOTALS_LIMIT", 1000)
        if self.FILTERED_TOTALS_LIMIT < 0:
            raise ConfigurationError("FILTERED_TOTALS_LIMIT must be 0 or more")

    def default_secret_key(self) -> str | None:
        return generated_secret_key()


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    APP_ENV = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False

    def __init__(self, database_url: str = "sqlite://") -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = database_url

    def default_secret_key(self) -> str:
        return "testing-secret"


class ProductionConfig(Config):
    APP_ENV = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    FORCE_HTTPS = os.environ.get("FORCE_HTTPS", "1") != "0"

    def default_secret_key(self) -> None:
        """None: production refuses to start without a configured key (see ``create_app``)."""
        return None


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
