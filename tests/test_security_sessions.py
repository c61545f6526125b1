"""Sessions end when they should: cookies saved before a logout or a password change open nothing afterwards."""
import re

import pytest

from config import generated_secret_key
from dashboard.extensions import db
from tests import factories

NEW_PASSWORD = "a much longer passphrase"


def _fresh(app, client, method, path, **kwargs):
    """One request in its own app context, as in a server: the tests' shared context would keep ``g``'s
    cached user from one request to the next."""
    db.session.commit()
    with app.app_context():
        return client.open(path, method=method, **kwargs)


def _log_in_remembered(app, client, user):
    response = _fresh(app, client, "POST", "/login",
                      data={"email": user.email, "password": factories.PASSWORD, "remember": "y"})
    assert response.status_code == 302
    return client.get_cookie("session").value, client.get_cookie("remember_token").value


def _opens_dashboard(app, session_cookie=None, remember_cookie=None) -> bool:
    replay = app.test_client()
    if session_cookie:
        replay.set_cookie("session", session_cookie)
    if remember_cookie:
        replay.set_cookie("remember_token", remember_cookie)
    return _fresh(app, replay, "GET", "/").status_code == 200


def test_saved_cookies_open_the_dashboard_before_logout(app, client, user):
    session_cookie, remember_cookie = _log_in_remembered(app, client, user)
    assert _opens_dashboard(app, session_cookie)
    assert _opens_dashboard(app, remember_cookie=remember_cookie)


def test_logout_ends_the_session_and_remember_token_even_when_replayed(app, client, user):
    session_cookie, remember_cookie = _log_in_remembered(app, client, user)
    _fresh(app, client, "POST", "/logout")
    assert client.get_cookie("remember_token") is None
    assert not _opens_dashboard(app, session_cookie)
    assert not _opens_dashboard(app, remember_cookie=remember_cookie)
    assert not _opens_dashboard(app, session_cookie, remember_cookie)


def test_logout_ends_only_this_session(app, client, user):
    other = app.test_client()
    other_session, other_remember = _log_in_remembered(app, other, user)
    _log_in_remembered(app, client, user)
    _fresh(app, client, "POST", "/logout")
    assert _opens_dashboard(app, other_session)
    assert _opens_dashboard(app, remember_cookie=other_remember)


def test_signing_out_everywhere_else_ends_the_other_browsers_cookies_even_when_replayed(app, client, user):
    phone = app.test_client()
    phone_session, phone_remember = _log_in_remembered(app, phone, user)
    laptop_session, laptop_remember = _log_in_remembered(app, client, user)
    assert _fresh(app, client, "POST", "/settings/sessions/end-others").status_code == 302
    assert not _opens_dashboard(app, phone_session)
    assert not _opens_dashboard(app, remember_cookie=phone_remember)
    assert not _opens_dashboard(app, phone_session, phone_remember)
    assert _opens_dashboard(app, laptop_session) and _opens_dashboard(app, remember_cookie=laptop_remember)
    _fresh(app, client, "POST", "/logout")
    assert not _opens_dashboard(app, laptop_session) and not _opens_dashboard(app, remember_cookie=laptop_remember)


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, user):
    other = app.test_client()
    other_session, other_remember = _log_in_remembered(app, other, user)
    response = _fresh(app, client, "POST", "/login", data={"email": user.email, "password": factories.PASSWORD})
    saved = client.get_cookie("session").value
    changed = _fresh(app, client, "POST", "/account/password", data={
        "current_password": factories.PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert (response.status_code, changed.status_code) == (302, 302)
    assert _fresh(app, client, "GET", "/").status_code == 200
    assert not _opens_dashboard(app, saved)
    assert not _opens_dashboard(app, other_session)
    assert not _opens_dashboard(app, remember_cookie=other_remember)


def test_end_sessions_signs_out_everywhere(app, client, user):
    session_cookie, remember_cookie = _log_in_remembered(app, client, user)
    user.end_sessions()
    assert _fresh(app, client, "GET", "/").status_code == 302
    assert not _opens_dashboard(app, remember_cookie=remember_cookie)


def test_a_cookie_naming_only_the_user_id_opens_nothing(app, client, user):
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_login_renews_the_session_and_the_csrf_token(client, user, app_config):
    page = client.get("/login").get_data(as_text=True)
    before = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        raw_before = session["csrf_token"]
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": before})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != raw_before
    # The token from before the login no longer passes.
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400


def test_cookies_are_httponly_samesite_and_short_lived(app, client, user):
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token")
    session = client.get_cookie("session")
    assert remember.http_only and remember.same_site == "Lax"
    assert session.http_only and session.same_site == "Lax"
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 24 * 3600
    assert app.config["REMEMBER_COOKIE_DURATION"].days <= 30


def test_without_a_configured_key_a_random_one_is_kept_private(tmp_path):
    path = tmp_path / "instance" / "secret_key"
    key = generated_secret_key(path)
    assert len(key) >= 32 and key != "dev-only-not-secret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert generated_secret_key(path) == key
    assert generated_secret_key(tmp_path / "elsewhere" / "secret_key") != key


def test_development_never_signs_with_the_public_key(monkeypatch):
    from dashboard import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    app = create_app()
    assert app.config["SECRET_KEY"] not in (None, "", "dev-only-not-secret")


def test_authenticated_pages_and_downloads_are_not_stored(auth_client, client):
    assert auth_client.get("/").headers["Cache-Control"] == "no-store"
    assert auth_client.get("/transactions/export.csv").headers["Cache-Control"] == "no-store"


def test_405_answers_carry_allow(auth_client):
    response = auth_client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
