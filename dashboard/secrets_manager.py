"""Database credentials from AWS Secrets Manager, for ``DATABASE_SECRET_ID``.

The secret is JSON ``{username, password, host, port, dbname}``, the shape
Secrets Manager's own database-secret templates (and RDS's managed secrets)
use; boto3 reads the usual ``AWS_*`` variables, ``AWS_ENDPOINT_URL``
included. Every failure is one line that names the secret id and what went
wrong, never the secret's value. No Flask here: config.py calls it before
the app exists.
"""
from __future__ import annotations

import json

from sqlalchemy.engine import URL

REQUIRED_FIELDS = ("username", "password", "host", "dbname")


class SecretsManagerError(RuntimeError):
    """The secret could not be read or is not database credentials; the message never holds its value."""


def database_url_from_secret(secret_id: str, drivername: str = "postgresql") -> URL:
    """A SQLAlchemy URL built from the credentials stored under ``secret_id``."""
    credentials = _secret_json(secret_id)
    missing = [name for name in REQUIRED_FIELDS if not credentials.get(name)]
    if missing:
        raise SecretsManagerError(f"secret {secret_id!r} lacks {', '.join(missing)}")
    port = credentials.get("port")
    try:
        port = int(port) if port not in (None, "") else None
    except (TypeError, ValueError):
        raise SecretsManagerError(f"secret {secret_id!r} has a port that is not a number") from None
    host = str(credentials["host"])
    # A host that is a folder is a Unix socket, which libpq takes as a query parameter in a URL.
    location = {"query": {"host": host, **({"port": str(port)} if port else {})}} if host.startswith("/") \
        else {"host": host, "port": port}
    return URL.create(drivername, username=str(credentials["username"]), password=str(credentials["password"]),
                      database=str(credentials["dbname"]), **location)


def _secret_json(secret_id: str) -> dict:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        raise SecretsManagerError(f"AWS Secrets Manager refused secret {secret_id!r}: {code}") from None
    except BotoCoreError as error:
        raise SecretsManagerError(f"AWS Secrets Manager could not be asked for secret {secret_id!r}: {error}") from None
    try:
        credentials = json.loads(response.get("SecretString") or "")
    except ValueError:
        credentials = None
    if not isinstance(credentials, dict):
        raise SecretsManagerError(f"secret {secret_id!r} is not a JSON object of database credentials")
    return credentials
