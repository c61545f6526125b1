"""Known secret values never appear in a log line, a page, a header or a command's output."""
from __future__ import annotations

import io
import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import make_url

from tests import factories
from tests.test_accounts_import import confirm_from, upload
from tests.test_cli_import import QIF_JANUARY

SECRET_KEY = "leak-test-secret-key-0123456789abcdef"
ENCRYPTION_KEY = Fernet.generate_key().decode()
DB_PASSWORD = "leak-test-db-password-42"
SECRETS = (SECRET_KEY, ENCRYPTION_KEY, DB_PASSWORD)


@pytest.fixture
def app_config(database_url):
    """The app under known secrets; on PostgreSQL the URL carries a password (the test server trusts any)."""
    config = {"SECRET_KEY": SECRET_KEY, "ENCRYPTION_KEY": ENCRYPTION_KEY}
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        config["SQLALCHEMY_DATABASE_URI"] = url.set(password=DB_PASSWORD).render_as_string(hide_password=False)
    return config


def _assert_no_secret(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret appears in {where}"


def test_no_secret_in_logs_pages_headers_or_command_output(app, client, runner, db, user, caplog):
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()
    captured = logging.StreamHandler(stream)
    app.logger.addHandler(captured)
    responses = []
    try:
        responses.append(client.post("/login", data={"email": user.email, "password": "a wrong password!"}))
        responses.append(factories.log_in(client, user.email))
        account = factories.create_account(db.session, user)
        preview = upload(client, account, QIF_JANUARY, "january.qif")
        responses += [preview, confirm_from(client, account, preview.get_data(as_text=True))]
        responses += [client.get("/"), client.get(f"/accounts/{account.id}"), client.get("/accounts/999999"),
                      client.delete("/login"), client.get("/no-such-page")]
        commands = [runner.invoke(args=["check-db"]), runner.invoke(args=["keys", "rotate"]),
                    runner.invoke(args=["export", "--user", user.email])]
    finally:
        app.logger.removeHandler(captured)

    statuses = {response.status_code for response in responses}
    assert {200, 302, 404, 405} <= statuses
    assert all(command.exit_code == 0 for command in commands), [c.output for c in commands]
    for response in responses:
        _assert_no_secret(f"the response to {response.request.path}", response.get_data(as_text=True))
        _assert_no_secret(f"the headers of {response.request.path}", str(response.headers))
    for command in commands:
        _assert_no_secret("a command's output", command.output)
    assert caplog.records
    for record in caplog.records:
        _assert_no_secret(f"the log line {record.name}: {record.getMessage()[:80]}", record.getMessage())
    _assert_no_secret("the app logger", stream.getvalue())
