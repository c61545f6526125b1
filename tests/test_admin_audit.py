"""/admin/audit: the events an admin reads, filtered by actor, owner, action and date, newest first, paged by
keyset with a constant number of statements."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import update

from dashboard.admin.queries import AuditFilter, audit_page, audit_position
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.models import AuditEvent
from tests import factories
from tests.html_tables import page_tables


@pytest.fixture
def admin_client(client, admin):
    factories.log_in(client, admin.email)
    return client


def _table(client, **args) -> list[list[str]]:
    response = client.get("/admin/audit", query_string=args)
    assert response.status_code == 200
    return page_tables(response.get_data(as_text=True)).body_rows.get("audit-events", [])


def test_the_log_shows_who_did_what_to_whose_data(admin_client, db, admin, user):
    record_event(db.session, AuditAction.USER_SET_ROLE, Actor(admin.id, "198.51.100.4"), owner_id=user.id,
                 target=user.email, details={"previous": "user", "role": "viewer"})
    record_event(db.session, AuditAction.USER_DEACTIVATE, Actor.system(), owner_id=user.id, target=user.email)
    time, action, actor, owner, target, details, source = _table(admin_client)[1]
    assert (action, actor, owner, target, source) == ("user.set_role", "admin@example.com", "alice@example.com",
                                                      "alice@example.com", "198.51.100.4")
    assert details == "previous: user; role: viewer"
    newest = _table(admin_client)[0]
    assert newest[1] == "user.deactivate" and newest[2] == "system"


def test_filters_by_actor_owner_action_and_date(admin_client, db, admin, user):
    factories.log_in(admin_client, admin.email)  # one more auth.login by the admin, today
    record_event(db.session, AuditAction.ACCOUNT_CREATE, Actor(user.id), owner_id=user.id, target="account 1")
    old = record_event(db.session, AuditAction.ACCOUNT_CREATE, Actor(user.id), owner_id=user.id, target="account 2")
    record_event(db.session, AuditAction.AUTH_LOGIN_FAILED, Actor(None, "203.0.113.9"), target="who@example.com")
    db.session.execute(update(AuditEvent).where(AuditEvent.id == old.id).values(created_at=datetime(2025, 3, 4, 10)))
    by_actor = _table(admin_client, actor="ALICE@example.com")
    assert {row[4] for row in by_actor} == {"account 1", "account 2"}
    assert {row[1] for row in _table(admin_client, actor="admin@example.com")} == {"auth.login"}
    assert [row[2] for row in _table(admin_client, action="auth.login_failed")] == ["anonymous"]
    assert {row[3] for row in _table(admin_client, owner="alice@example.com")} == {"alice@example.com"}
    on_the_day = _table(admin_client, date_from="2025-03-04", date_to="2025-03-04")
    assert [row[4] for row in on_the_day] == ["account 2"]
    assert "account 2" not in {row[4] for row in _table(admin_client, date_from=date.today().isoformat())}
    assert _table(admin_client, actor="nobody@example.com") == []


def test_bad_filter_values_are_reported_not_failed(admin_client, db, admin):
    response = admin_client.get("/admin/audit", query_string={"date_from": "2025-13-45", "action": "made.up",
                                                              "actor": "a\x00b", "after": "1:1e99999999"})
    assert response.status_code == 200
    assert 'id="filter-errors"' in response.get_data(as_text=True)


def test_keyset_pages_walk_every_event_once_in_both_directions(db, admin):
    for n in range(7):
        record_event(db.session, AuditAction.AUTH_LOGIN, Actor(admin.id), owner_id=admin.id, target=f"n{n}")
    filters, seen = AuditFilter(), []
    page = audit_page(db.session, filters, audit_position(None, None, False), per_page=3)
    assert not page.has_newer and page.has_older
    while True:
        seen += [row.event.target for row in page.rows]
        if not page.has_older:
            break
        page = audit_page(db.session, filters, audit_position(page.last_key, None, False), per_page=3)
    assert seen == [f"n{n}" for n in reversed(range(7))]
    last = audit_page(db.session, filters, audit_position(None, None, True), per_page=3)
    assert [row.event.target for row in last.rows] == ["n2", "n1", "n0"] and last.has_newer and not last.has_older
    back = audit_page(db.session, filters, audit_position(None, last.first_key, False), per_page=3)
    assert [row.event.target for row in back.rows] == ["n5", "n4", "n3"] and back.has_newer and back.has_older


def test_the_page_links_its_next_page_keeping_the_filters(admin_client, db, admin):
    for n in range(60):
        record_event(db.session, AuditAction.AUTH_LOGIN_FAILED, Actor(None, "203.0.113.9"), target=f"n{n}")
    html = admin_client.get("/admin/audit", query_string={"action": "auth.login_failed"}).get_data(as_text=True)
    tables = page_tables(html)
    next_url = tables.links["Next"]
    assert "action=auth.login_failed" in next_url and "after=" in next_url
    second = page_tables(admin_client.get(next_url).get_data(as_text=True)).body_rows["audit-events"]
    assert [row[4] for row in second] == [f"n{n}" for n in reversed(range(10))]


def test_a_page_costs_the_same_statements_whatever_the_number_of_events(admin_client, db, admin, user,
                                                                          statements_of):
    def statements() -> int:
        count, response = statements_of(lambda: admin_client.get("/admin/audit"))
        assert response.status_code == 200
        return count

    record_event(db.session, AuditAction.AUTH_LOGIN, Actor(user.id), owner_id=user.id)
    few = statements()
    for n in range(30):
        record_event(db.session, AuditAction.ACCOUNT_CREATE, Actor(user.id), owner_id=user.id, target=f"a{n}")
    assert statements() == few


def test_non_admins_get_403(auth_client):
    response = auth_client.get("/admin/audit")
    assert response.status_code == 403 and "Location" not in response.headers
