"""Logging in and out, the password change, and what the login refuses."""
import re

import pytest
from sqlalchemy import func, select

from dashboard.auth.services import UserExists, create_user
from dashboard.models import AuditEvent, User
from dashboard.models.users import MIN_PASSWORD_LENGTH, Role
from tests import factories


def test_login_page_has_labelled_fields_and_a_button(client):
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'<label[^>]*for="email"[^>]*>Email</label>', page)
    assert re.search(r'<label[^>]*for="password"[^>]*>Password</label>', page)
    assert 'value="Log in"' in page


def test_login_leads_to_the_dashboard(client, user):
    response = factories.log_in(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Your accounts" in client.get("/").get_data(as_text=True)


def test_email_is_case_insensitive(client, user):
    response = factories.log_in(client, "  ALICE@Example.COM ")
    assert response.status_code == 302


@pytest.mark.parametrize("email, password", [
    ("alice@example.com", "wrong password"),
    ("nobody@example.com", factories.PASSWORD),
    ("", ""),
])
def test_every_failure_says_the_same(client, user, email, password):
    response = client.post("/login", data={"email": email, "password": password})
    page = response.get_data(as_text=True)
    if email:
        assert "Invalid email or password" in page
    assert response.status_code == 200
    assert "Your accounts" not in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, db, user):
    user.active = False
    db.session.commit()
    page = factories.log_in(client, user.email).get_data(as_text=True)
    assert "Invalid email or password" in page


def test_deactivating_a_signed_in_user_ends_their_session(auth_client, db, user):
    user.active = False
    db.session.commit()
    assert auth_client.get("/").status_code == 302


def test_logins_are_audited(client, db, user):
    factories.log_in(client, user.email, "wrong password")
    factories.log_in(client, user.email)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["auth.login_failed", "auth.login"]


@pytest.mark.parametrize("target, expected", [
    ("/accounts/1", "/accounts/1"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_only_redirects_inside_the_site(client, user, target, expected):
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": factories.PASSWORD})
    assert response.headers["Location"] == expected


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_is_a_post(auth_client):
    assert auth_client.get("/logout").status_code == 405
    response = auth_client.post("/logout")
    assert response.headers["Location"] == "/login"
    assert auth_client.get("/").status_code == 302


def test_dashboard_has_a_log_out_button_with_csrf(auth_client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    page = auth_client.get("/").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/logout".*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in form
    assert ">Log out</button>" in form


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_forms_refuse_a_post_without_csrf_token(client, user, app_config):
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_login_works_with_the_csrf_token_of_the_form(client, user, app_config):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}])
def test_login_is_rate_limited(client, user, app_config):
    statuses = [client.post("/login", data={"email": user.email, "password": "wrong"}).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    page = client.post("/login", data={"email": user.email, "password": "wrong"}).get_data(as_text=True)
    assert "Too many attempts" in page


def test_password_change(auth_client, db, user):
    response = auth_client.post("/account/password", data={
        "current_password": factories.PASSWORD, "new_password": "a much longer passphrase",
        "confirm_password": "a much longer passphrase"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.check_password("a much longer passphrase")


@pytest.mark.parametrize("current, new, confirm, message", [
    ("wrong password!", "a much longer passphrase", "a much longer passphrase", "not your current password"),
    (factories.PASSWORD, "short", "short", "at least 12 characters"),
    (factories.PASSWORD, "a much longer passphrase", "a different passphrase", "differ"),
])
def test_password_change_refusals_change_nothing(auth_client, db, user, current, new, confirm, message):
    response = auth_client.post("/account/password", data={
        "current_password": current, "new_password": new, "confirm_password": confirm})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(factories.PASSWORD)


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1}])
def test_behind_a_trusted_proxy_the_client_address_is_recorded(client, db, user, app_config):
    client.post("/login", data={"email": user.email, "password": "wrong"},
                headers={"X-Forwarded-For": "203.0.113.9"})
    assert db.session.scalar(select(AuditEvent.remote_addr)) == "203.0.113.9"


@pytest.mark.parametrize("email, password, reason", [
    ("someone", factories.PASSWORD, "is not an email address"),
    ("someone@example", factories.PASSWORD, "is not an email address"),
    ("someone@example.com", "x" * (MIN_PASSWORD_LENGTH - 1), f"at least {MIN_PASSWORD_LENGTH} characters"),
])
def test_create_user_refuses_a_bad_email_or_a_short_password(db, email, password, reason):
    with pytest.raises(ValueError, match=reason):
        create_user(db.session, email, password)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_stores_the_normalised_address_and_the_role(db):
    user = create_user(db.session, "  Book.Keeper@EXAMPLE.com ", "x" * MIN_PASSWORD_LENGTH, Role.VIEWER)
    assert (user.email, user.role) == ("book.keeper@example.com", "viewer")
    with pytest.raises(UserExists):
        create_user(db.session, "BOOK.KEEPER@example.com", "x" * MIN_PASSWORD_LENGTH)
