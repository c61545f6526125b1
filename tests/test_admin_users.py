"""/admin/users: what an admin sees of each user and every change they can make, audited with the admin as the
actor and the user as the owner; the last active admin stays."""
from __future__ import annotations

import re
import threading

import pytest
from flask import g
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.audit import Actor
from dashboard.auth import services
from dashboard.models import AuditEvent, User
from dashboard.models.users import Role
from tests import factories
from tests.html_tables import page_tables

TEMPORARY = "a temporary password"


@pytest.fixture
def admin_client(client, admin):
    factories.log_in(client, admin.email)
    return client


def _rows(client) -> dict[str, list[str]]:
    """Each user's row (header cell included) by email."""
    rows = page_tables(client.get("/admin/users").get_data(as_text=True)).tables["users"][1:]
    return {row[0].removesuffix(" you"): row for row in rows}


def _flash(response_html: str) -> str:
    return " ".join(re.findall(r'<div class="alert alert-\w+" role="alert">([^<]+)</div>', response_html))


def _log_in_elsewhere(client, email: str, password: str = factories.PASSWORD):
    """Log in from another browser. The test's app context is shared by every request, so Flask-Login's
    cached user is dropped before and after, so each client's next request is its own."""
    g.pop("_login_user", None)
    response = factories.log_in(client, email, password)
    g.pop("_login_user", None)
    return response


def _event(db, action: str) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).one()


def test_the_list_shows_role_status_last_login_and_two_factor(admin_client, db, admin, user):
    factories.create_user(db.session, "book@example.com", role=Role.VIEWER).active = False
    rows = _rows(admin_client)
    assert list(rows) == ["admin@example.com", "alice@example.com", "book@example.com"]
    alice, book = rows["alice@example.com"], rows["book@example.com"]
    assert alice[2] == "active" and alice[3] == "never" and alice[4] == "off"
    assert book[2] == "deactivated"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", rows["admin@example.com"][3])
    html = admin_client.get("/admin/users").get_data(as_text=True)
    assert re.search(r'<option value="viewer" selected>', html)


def test_an_admin_creates_a_user_who_must_change_the_password(admin_client, client, db, admin):
    response = admin_client.post("/admin/users", data={"email": "New@Example.com", "password": TEMPORARY,
                                                       "role": "viewer", "must_change_password": "y"})
    assert response.status_code == 302
    new = db.session.scalar(select(User).where(User.email == "new@example.com"))
    assert new.role == Role.VIEWER and new.must_change_password
    event = _event(db, "user.create")
    assert (event.actor_id, event.owner_id, event.details) == (admin.id, new.id, {"role": "viewer"})
    client.post("/logout")
    login = factories.log_in(client, "new@example.com", TEMPORARY)
    assert login.headers["Location"].endswith("/account/password")


def test_creating_a_taken_or_bad_email_says_why(admin_client, db, user):
    taken = admin_client.post("/admin/users", data={"email": "ALICE@example.com", "password": TEMPORARY, "role": "user"})
    assert taken.status_code == 422 and "already exists" in taken.get_data(as_text=True)
    short = admin_client.post("/admin/users", data={"email": "x@example.com", "password": "short", "role": "user"})
    assert short.status_code == 422 and "Use 12 to 200 characters." in short.get_data(as_text=True)
    bad_role = admin_client.post("/admin/users", data={"email": "x@example.com", "password": TEMPORARY, "role": "owner"})
    assert bad_role.status_code == 422
    assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_deactivate_refuses_login_ends_sessions_and_reactivate_restores(admin_client, app, db, user, admin):
    version = user.session_version
    response = admin_client.post(f"/admin/users/{user.id}/deactivate", follow_redirects=True)
    assert "Deactivated alice@example.com" in _flash(response.get_data(as_text=True))
    db.session.refresh(user)
    assert not user.active and user.session_version == version + 1
    assert _rows(admin_client)["alice@example.com"][2] == "deactivated"
    other = app.test_client()
    assert _log_in_elsewhere(other, user.email).status_code == 200  # the form again
    admin_client.post(f"/admin/users/{user.id}/activate")
    assert _log_in_elsewhere(other, user.email).status_code == 302
    deactivated, activated = _event(db, "user.deactivate"), _event(db, "user.activate")
    assert deactivated.actor_id == activated.actor_id == admin.id and deactivated.owner_id == user.id


def test_set_role_is_audited_with_the_previous_role(admin_client, db, user, admin):
    response = admin_client.post(f"/admin/users/{user.id}/role", data={"role": "admin"}, follow_redirects=True)
    assert "alice@example.com is now admin." in _flash(response.get_data(as_text=True))
    db.session.refresh(user)
    assert user.is_admin
    assert _event(db, "user.set_role").details == {"previous": "user", "role": "admin"}


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(admin_client, db, admin, user):
    response = admin_client.post(f"/admin/users/{admin.id}/role", data={"role": "user"}, follow_redirects=True)
    assert "The last active admin, admin@example.com, can be" in _flash(response.get_data(as_text=True))
    db.session.refresh(admin)
    assert admin.is_admin
    other = factories.create_user(db.session, "second@example.com", role=Role.ADMIN)
    response = admin_client.post(f"/admin/users/{other.id}/deactivate", follow_redirects=True)
    assert "Deactivated" in _flash(response.get_data(as_text=True))
    response = admin_client.post(f"/admin/users/{admin.id}/role", data={"role": "viewer"}, follow_redirects=True)
    assert "The last active admin, admin@example.com, can be" in _flash(response.get_data(as_text=True))
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.owner_id == admin.id)).all() == ["auth.login"]


def test_an_admin_cannot_deactivate_themself(admin_client, db, admin):
    factories.create_user(db.session, "second@example.com", role=Role.ADMIN)
    response = admin_client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in _flash(response.get_data(as_text=True))
    db.session.refresh(admin)
    assert admin.active


def test_reset_password_makes_the_user_choose_a_new_one_at_login(admin_client, app, db, user, admin):
    page = admin_client.get(f"/admin/users/{user.id}/password")
    assert page.status_code == 200 and "alice@example.com" in page.get_data(as_text=True)
    mismatch = admin_client.post(f"/admin/users/{user.id}/password",
                                 data={"password": TEMPORARY, "confirm_password": TEMPORARY + "x"})
    assert mismatch.status_code == 422 and "The two passwords differ." in mismatch.get_data(as_text=True)
    version = user.session_version
    admin_client.post(f"/admin/users/{user.id}/password", data={"password": TEMPORARY, "confirm_password": TEMPORARY})
    db.session.refresh(user)
    assert user.must_change_password and user.session_version == version + 1
    assert _event(db, "user.reset_password").actor_id == admin.id
    person = app.test_client()
    login = _log_in_elsewhere(person, user.email, TEMPORARY)
    assert login.headers["Location"].endswith("/account/password")
    assert "An admin reset your password" in person.get("/account/password").get_data(as_text=True)
    for elsewhere in ("/", "/transactions", "/reports/"):
        assert person.get(elsewhere).headers["Location"].endswith("/account/password"), elsewhere
    changed = person.post("/account/password", data={"current_password": TEMPORARY,
                                                     "new_password": "my own new password",
                                                     "confirm_password": "my own new password"})
    assert changed.status_code == 302
    db.session.refresh(user)
    assert not user.must_change_password
    assert person.get("/").status_code == 200


@pytest.mark.parametrize("method,url", [
    ("get", "/admin/users"), ("get", "/admin/audit"), ("post", "/admin/users"),
    ("post", "/admin/users/{id}/deactivate"), ("post", "/admin/users/{id}/role"),
    ("post", "/admin/users/{id}/password"), ("get", "/admin/users/{id}/password"),
])
def test_other_users_get_403_and_change_nothing(auth_client, db, user, admin, method, url):
    response = getattr(auth_client, method)(url.format(id=admin.id), data={
        "role": "user", "email": "x@example.com", "password": TEMPORARY, "confirm_password": TEMPORARY})
    assert response.status_code == 403 and "Location" not in response.headers
    db.session.refresh(admin)
    assert admin.active and admin.is_admin and not admin.must_change_password
    assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_an_unknown_user_is_404(admin_client):
    assert admin_client.post("/admin/users/999999/deactivate").status_code == 404
    assert admin_client.get("/admin/users/999999/password").status_code == 404


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_changes_need_the_pages_csrf_token(self, client, db, admin, user):
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        client.post("/login", data={"email": admin.email, "password": factories.PASSWORD, "csrf_token": token})
        assert client.post(f"/admin/users/{user.id}/deactivate").status_code in (302, 400)
        db.session.refresh(user)
        assert user.active
        html = client.get("/admin/users").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        client.post(f"/admin/users/{user.id}/deactivate", data={"csrf_token": token})
        db.session.refresh(user)
        assert not user.active


def test_two_admins_demoting_each_other_at_once_leave_one_admin(db, committed):
    """Each in its own connection, as two workers would: one demotion wins, the other is refused."""
    first = factories.create_user(db.session, "first@example.com", role=Role.ADMIN)
    second = factories.create_user(db.session, "second@example.com", role=Role.ADMIN)
    db.session.commit()
    engine, start, outcomes = db.engine, threading.Barrier(2), []

    def demote(actor_id: int, target_id: int) -> None:
        with Session(engine) as session:
            target = session.get(User, target_id)
            start.wait()
            try:
                services.set_role(session, Actor(actor_id), target, Role.USER)
                session.commit()
                outcomes.append("demoted")
            except services.LastAdmin:
                session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=demote, args=pair) for pair in ((first.id, second.id), (second.id, first.id))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["demoted", "refused"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN)) == 1
