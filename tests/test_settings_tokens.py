"""The API tokens page: create (shown once), list, revoke; and ``flask tokens create``."""
from sqlalchemy import select

from dashboard.api.tokens import create_token
from dashboard.audit import Actor
from dashboard.models import ApiToken, AuditEvent
from tests import factories


def _secret(html: str) -> str:
    marker = 'id="new-token" class="form-control font-monospace" readonly value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_create_shows_the_token_once_and_lists_it(auth_client, db, user):
    page = auth_client.post("/settings/tokens", data={"name": "spreadsheet", "read_only": "y", "expires_days": "30"})
    html = page.get_data(as_text=True)
    secret = _secret(html)
    assert secret.startswith("fdt_")
    token = db.session.scalar(select(ApiToken))
    assert token.name == "spreadsheet" and token.read_only and token.expires_at is not None
    again = auth_client.get("/settings/tokens").get_data(as_text=True)
    assert "spreadsheet" in again and secret not in again and "Read-only" in again
    assert auth_client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json["read_only"] is True


def test_revoke_stops_the_token_and_is_audited(auth_client, db, user):
    secret = _secret(auth_client.post("/settings/tokens", data={"name": "script"}).get_data(as_text=True))
    token = db.session.scalar(select(ApiToken))
    response = auth_client.post(f"/settings/tokens/{token.id}/revoke", follow_redirects=True)
    assert "no longer works" in response.get_data(as_text=True)
    assert auth_client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"token.create", "token.revoke"} <= actions


def test_another_users_token_cannot_be_revoked(client, db, user):
    other = factories.create_user(db.session, "bob@example.com")
    factories.log_in(client, user.email)
    theirs = create_token(db.session, Actor.system(), other, "bob's").token
    assert client.post(f"/settings/tokens/{theirs.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, theirs.id).revoked_at is None


def test_tokens_page_needs_login(client):
    assert client.get("/settings/tokens").status_code == 302


def test_cli_prints_the_token_alone(runner, db, user, client):
    result = runner.invoke(args=["tokens", "create", "--user", user.email, "--name", "cron", "--read-only",
                                 "--expires-days", "7"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert secret.startswith("fdt_") and "\n" not in secret
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json
    assert me["token_name"] == "cron" and me["read_only"] is True
    unknown = runner.invoke(args=["tokens", "create", "--user", "nobody@example.com", "--name", "x"])
    assert unknown.exit_code != 0
