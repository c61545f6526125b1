"""User administration from the command line: list, deactivate, activate, set-role, reset-password; each change
audited as the system's, and the last active admin kept."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from dashboard.auth import two_factor
from dashboard.models import AuditEvent, User
from dashboard.models.users import Role
from tests import factories

NEW_PASSWORD = "a temporary password"


def _run(runner, *args, input=None):
    return runner.invoke(args=["users", *args], input=input)


def _events(db, action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_list_shows_role_status_last_login_and_two_factor(runner, db, user, admin):
    factories.create_user(db.session, "viewer@example.com", role=Role.VIEWER).active = False
    result = _run(runner, "list")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(r["email"], r["role"], r["status"], r["two_factor"]) for r in rows] == [
        ("admin@example.com", "admin", "active", "off"), ("alice@example.com", "user", "active", "off"),
        ("viewer@example.com", "viewer", "deactivated", "off")]
    assert rows[0]["last_login"] == ""


def test_deactivate_ends_sessions_and_activate_restores_login(runner, db, client, user, admin):
    version = user.session_version
    result = _run(runner, "deactivate", "ALICE@example.com")
    assert result.exit_code == 0 and "deactivated alice@example.com" in result.output
    db.session.refresh(user)
    assert not user.active and user.session_version == version + 1
    assert factories.log_in(client, user.email).status_code == 200  # the form again: refused
    assert _run(runner, "activate", user.email).exit_code == 0
    assert factories.log_in(client, user.email).status_code == 302
    deactivated, = _events(db, "user.deactivate")
    assert (deactivated.actor_id, deactivated.owner_id, deactivated.target) == (None, user.id, user.email)
    assert len(_events(db, "user.activate")) == 1


def test_set_role_changes_the_role_and_records_both(runner, db, user, admin):
    result = _run(runner, "set-role", user.email, "viewer")
    assert result.exit_code == 0 and "alice@example.com is now viewer" in result.output
    db.session.refresh(user)
    assert user.role == Role.VIEWER
    event, = _events(db, "user.set_role")
    assert event.details == {"previous": "user", "role": "viewer"} and event.owner_id == user.id


def test_set_role_refuses_an_unknown_role(runner, user):
    result = _run(runner, "set-role", user.email, "owner")
    assert result.exit_code != 0 and "owner" in result.output


def test_the_last_active_admin_can_be_neither_deactivated_nor_demoted(runner, db, admin, user):
    for args in (("deactivate", admin.email), ("set-role", admin.email, "user")):
        result = _run(runner, *args)
        assert result.exit_code != 0
        assert "the last active admin, admin@example.com, can be neither deactivated nor demoted" in result.output
        assert "Traceback" not in result.output
    db.session.refresh(admin)
    assert admin.active and admin.is_admin
    assert _run(runner, "set-role", user.email, "admin").exit_code == 0
    assert _run(runner, "set-role", admin.email, "user").exit_code == 0


def test_a_deactivated_admin_does_not_count_as_the_other_admin(runner, db, admin):
    other = factories.create_user(db.session, "other@example.com", role=Role.ADMIN)
    assert _run(runner, "deactivate", other.email).exit_code == 0
    assert _run(runner, "deactivate", admin.email).exit_code != 0


def test_reset_password_from_stdin_makes_the_user_change_it_at_login(runner, db, client, user):
    version = user.session_version
    result = _run(runner, "reset-password", user.email, "--password-stdin", input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD) and user.must_change_password
    assert user.session_version == version + 1
    response = factories.log_in(client, user.email, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    assert len(_events(db, "user.reset_password")) == 1


def test_reset_password_prompts_and_refuses_a_short_one(runner, db, user):
    prompted = _run(runner, "reset-password", user.email, input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    short = _run(runner, "reset-password", user.email, "--password-stdin", input="short\n")
    assert short.exit_code != 0 and "12 characters" in short.output


def test_unknown_users_get_one_line(runner, db):
    for args in (("deactivate", "nobody@example.com"), ("activate", "nobody@example.com"),
                 ("set-role", "nobody@example.com", "user"), ("reset-password", "nobody@example.com")):
        result = _run(runner, *args, input=NEW_PASSWORD + "\n")
        assert result.exit_code != 0 and "there is no user nobody@example.com" in result.output
        assert "Traceback" not in result.output
    assert db.session.scalar(select(User)) is None


def test_create_is_audited(runner, db):
    assert _run(runner, "create", "new@example.com", "--role", "viewer", "--password-stdin",
                input=NEW_PASSWORD + "\n").exit_code == 0
    event, = _events(db, "user.create")
    assert event.target == "new@example.com" and event.details == {"role": "viewer"} and event.actor_id is None


def test_require_2fa_turns_the_requirement_on_and_off_audited(runner, db, client, user):
    result = _run(runner, "require-2fa", "on")
    assert result.exit_code == 0 and "two-factor sign-in is now required of everyone" in result.output
    assert two_factor.two_factor_required(db.session)
    again = _run(runner, "require-2fa", "on")
    assert again.exit_code == 0 and "already required" in again.output
    event, = _events(db, "installation.setting")
    assert (event.actor_id, event.target, event.details) == (None, "require_two_factor", {"value": True})
    assert factories.log_in(client, user.email).headers["Location"].endswith("/settings/two-factor")
    off = _run(runner, "require-2fa", "off")
    assert off.exit_code == 0 and "now each user's choice" in off.output
    assert not two_factor.two_factor_required(db.session)
    assert len(_events(db, "installation.setting")) == 2


def test_require_2fa_refuses_anything_but_on_or_off(runner, db):
    result = _run(runner, "require-2fa", "yes")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "'on'" in result.output
