"""DATABASE_SECRET_ID: database credentials from AWS Secrets Manager, against moto's real server on loopback."""
from __future__ import annotations

import json

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import create_engine, make_url, text

import config as settings
from config import ConfigurationError
from dashboard import create_app
from dashboard.database import database_problem

PASSWORD = "s3cret-from-the-vault"


@pytest.fixture(scope="module")
def secrets_endpoint():
    """moto's Secrets Manager as an HTTP server on 127.0.0.1, the way boto3 meets the real one."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(monkeypatch, secrets_endpoint):
    for name, value in {"AWS_ENDPOINT_URL": secrets_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-2"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return boto3.client("secretsmanager")


@pytest.fixture
def database_role(postgres_url):
    """A login role of its own on the test PostgreSQL, whose credentials go into the secret."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP ROLE IF EXISTS vault_user"))
        connection.execute(text(f"CREATE ROLE vault_user LOGIN PASSWORD '{PASSWORD}'"))
    yield make_url(postgres_url)
    with admin.connect() as connection:
        connection.execute(text("DROP ROLE IF EXISTS vault_user"))
    admin.dispose()


def _store(aws, name: str, value) -> str:
    secret = value if isinstance(value, str) else json.dumps(value)
    return aws.create_secret(Name=name, SecretString=secret)["ARN"]


def test_the_app_connects_with_the_credentials_stored_in_secrets_manager(aws, database_role, monkeypatch):
    server = database_role.query["host"]
    arn = _store(aws, "dashboard/db-connects", {"username": "vault_user", "password": PASSWORD, "host": server,
                                               "port": database_role.query.get("port", "5432"),
                                               "dbname": database_role.database, "engine": "postgres"})
    monkeypatch.setenv("DATABASE_SECRET_ID", arn)
    app = create_app(settings.DevelopmentConfig())
    with app.app_context():
        assert database_problem() is None
        from dashboard.extensions import db
        with db.engine.connect() as connection:
            assert connection.scalar(text("SELECT current_user")) == "vault_user"
        db.engine.dispose()


def test_a_tcp_host_and_port_make_an_ordinary_url(aws, monkeypatch):
    _store(aws, "dashboard/db-tcp", {"username": "app", "password": PASSWORD, "host": "db.internal",
                                     "port": 6432, "dbname": "dashboard"})
    monkeypatch.setenv("DATABASE_SECRET_ID", "dashboard/db-tcp")
    url = make_url(settings.database_url())
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "app", PASSWORD, "db.internal", 6432, "dashboard")


@pytest.mark.parametrize("name, value, reason", [
    ("dashboard/missing", None, "refused secret 'dashboard/missing': ResourceNotFoundException"),
    ("dashboard/not-json", f"password={PASSWORD}", "is not a JSON object of database credentials"),
    ("dashboard/partial", {"username": "app", "password": PASSWORD}, "lacks host, dbname"),
    ("dashboard/bad-port", {"username": "app", "password": PASSWORD, "host": "h", "dbname": "d",
                            "port": f"{PASSWORD}"}, "has a port that is not a number"),
])
def test_a_secret_that_cannot_be_used_stops_start_up_with_one_line_without_its_value(
        aws, monkeypatch, name, value, reason):
    if value is not None:
        _store(aws, name, value)
    monkeypatch.setenv("DATABASE_SECRET_ID", name)
    with pytest.raises(ConfigurationError) as error:
        settings.DevelopmentConfig()
    message = str(error.value)
    assert reason in message and message.startswith("DATABASE_SECRET_ID: ")
    assert "\n" not in message and PASSWORD not in message


def test_an_unreachable_endpoint_is_one_line(monkeypatch):
    for name, value in {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-2",
                        "AWS_MAX_ATTEMPTS": "1", "DATABASE_SECRET_ID": "dashboard/db"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match="could not be asked for secret 'dashboard/db'") as error:
        settings.database_url()
    assert "\n" not in str(error.value)
