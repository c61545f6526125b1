"""/settings/sessions: the user's sessions kept in the database, listed and signed out one by one or all but this."""
import pytest
from sqlalchemy import event, select

from dashboard.audit import AuditAction
from dashboard.auth.sessions import LAST_SEEN_EVERY
from dashboard.extensions import db
from dashboard.models import AuditEvent, UserSession
from tests import factories

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.0 Mobile/15E148 Safari/604.1")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _fresh(app, client, method, path, **kwargs):
    """One request in its own app context, as in a server (the tests' shared context keeps ``g``)."""
    db.session.commit()
    with app.app_context():
        return client.open(path, method=method, **kwargs)


def _browser(app, user, user_agent, address):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": address})
    assert _fresh(app, client, "POST", "/login", data={"email": user.email, "password": factories.PASSWORD}
                  ).status_code == 302
    return client


def _session_ids(user):
    db.session.expire_all()
    return db.session.scalars(select(UserSession.id).where(UserSession.user_id == user.id).order_by(UserSession.id)
                              ).all()


def test_the_list_shows_device_address_and_times_and_marks_this_session(app, user):
    phone = _browser(app, user, IPHONE, "203.0.113.7")
    _browser(app, user, FIREFOX, "198.51.100.2")
    page = _fresh(app, phone, "GET", "/settings/sessions").get_data(as_text=True)
    assert "Mobile Safari on iOS" in page and "Firefox on Linux" in page
    assert "203.0.113.7" in page and "198.51.100.2" in page
    assert page.count("this session") == 1 and "Sign out everywhere else" in page
    assert "Signed in" in page and "Last seen" in page


def test_signing_out_one_session_ends_it_on_its_next_request_and_leaves_the_others(app, user):
    phone = _browser(app, user, IPHONE, "203.0.113.7")
    laptop = _browser(app, user, FIREFOX, "198.51.100.2")
    desk = _browser(app, user, FIREFOX, "198.51.100.3")
    phone_id, laptop_id, _desk_id = _session_ids(user)
    assert _fresh(app, laptop, "POST", f"/settings/sessions/{phone_id}/end").status_code == 302
    assert _fresh(app, phone, "GET", "/").status_code == 302
    assert _fresh(app, desk, "GET", "/").status_code == 200
    assert _fresh(app, laptop, "POST", f"/settings/sessions/{phone_id}/end").status_code == 404
    assert _fresh(app, laptop, "POST", "/settings/sessions/end-others").status_code == 302
    assert _fresh(app, desk, "GET", "/").status_code == 302
    assert _fresh(app, laptop, "GET", "/").status_code == 200
    assert _session_ids(user) == [laptop_id]
    ended = db.session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == AuditAction.AUTH_SESSION_ENDED.value)).all()
    assert ended == [{"sessions": 1}, {"sessions": 1}]


def test_another_users_session_is_not_found(app, user):
    bob = factories.create_user(db.session, "bob@example.com")
    _browser(app, bob, FIREFOX, "198.51.100.9")
    (bobs_session,) = _session_ids(bob)
    mine = _browser(app, user, FIREFOX, "198.51.100.2")
    assert _fresh(app, mine, "POST", f"/settings/sessions/{bobs_session}/end").status_code == 404
    assert _session_ids(bob) == [bobs_session]


def test_signing_out_this_session_from_the_list_logs_out(app, user):
    laptop = _browser(app, user, FIREFOX, "198.51.100.2")
    (mine,) = _session_ids(user)
    response = _fresh(app, laptop, "POST", f"/settings/sessions/{mine}/end")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert _fresh(app, laptop, "GET", "/").status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(app, user):
    laptop = _browser(app, user, FIREFOX, "198.51.100.2")
    writes = []

    def count(_connection, _cursor, statement, *_args):
        if statement.startswith("UPDATE user_sessions"):
            writes.append(statement)

    def three_pages() -> int:
        writes.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            for _ in range(3):
                assert _fresh(app, laptop, "GET", "/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(writes)

    assert three_pages() == 0
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    row.last_seen_at -= LAST_SEEN_EVERY
    before = row.last_seen_at
    db.session.commit()
    assert three_pages() == 1
    db.session.expire_all()
    assert db.session.get(UserSession, row.id).last_seen_at > before


@pytest.mark.usefixtures("committed")
def test_a_session_ended_by_one_app_process_is_refused_by_another(app, user, database_url):
    """Two app instances (two processes or hosts) on one database: ending a session in one is seen by the other."""
    from config import TestingConfig
    from dashboard import create_app

    db.session.commit()
    other_app = create_app(TestingConfig(database_url))
    laptop = app.test_client()
    with app.app_context():
        assert laptop.post("/login", data={"email": user.email, "password": factories.PASSWORD}).status_code == 302
    phone = other_app.test_client()
    with other_app.app_context():
        assert phone.post("/login", data={"email": user.email, "password": factories.PASSWORD}).status_code == 302
        assert phone.post("/settings/sessions/end-others").status_code == 302
        assert phone.get("/").status_code == 200
    with app.app_context():
        assert laptop.get("/").status_code == 302
    with other_app.app_context():
        from dashboard.extensions import db as other_db
        other_db.session.remove()
        other_db.engine.dispose()
