"""The audit log's hash chain: every edit, insertion and removal is found and named, and concurrent writers
never fork it."""
from __future__ import annotations

import json
import threading
from datetime import datetime

import flask_migrate
import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

import config as settings
from dashboard import create_app
from dashboard.audit import GENESIS_HASH, Actor, AuditAction, event_hash, record_event, verify_chain
from dashboard.extensions import db as _db
from dashboard.models import AuditEvent
from tests.test_migrations import MIGRATIONS, scratch_url  # noqa: F401  (the fixture)


def _events(db, count: int) -> list[AuditEvent]:
    events = [record_event(db.session, AuditAction.USER_CREATE, Actor(None, "192.0.2.1"), target=f"user{n}@example.com",
                           details={"role": "user", "n": n}) for n in range(count)]
    db.session.commit()
    return events


def _verify(runner):
    return runner.invoke(args=["audit", "verify"])


def test_each_event_links_to_the_one_before_and_hashes_its_time(db):
    first, second = _events(db, 2)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.hash
    assert second.hash == event_hash(second.action, None, None, second.target, {"role": "user", "n": 1}, "192.0.2.1",
                                     second.created_at, first.hash)
    assert second.created_at >= first.created_at and second.created_at.microsecond is not None


def test_an_intact_chain_verifies_with_its_count(db, runner):
    *_, last = _events(db, 3)
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert f"intact: 3 events, last hash {last.hash}" in result.output


def test_an_empty_log_is_intact(runner):
    result = _verify(runner)
    assert result.exit_code == 0 and "0 events" in result.output


@pytest.mark.parametrize("change", [{"target": "mallory@example.com"}, {"details": {"role": "admin", "n": 1}},
                                    {"actor_id": None, "remote_addr": "198.51.100.7"},
                                    {"created_at": datetime(2020, 1, 1)}])
def test_a_changed_event_is_named(db, runner, change):
    _, second, _ = _events(db, 3)
    db.session.execute(update(AuditEvent).where(AuditEvent.id == second.id).values(**change))
    result = _verify(runner)
    assert result.exit_code != 0
    assert f"event {second.id} was changed" in result.output


def test_a_changed_event_with_a_recomputed_hash_breaks_the_link_of_the_next(db, runner):
    first, second, third = _events(db, 3)
    forged = event_hash(second.action, None, None, "mallory@example.com", second.details, second.remote_addr,
                        second.created_at, first.hash)
    db.session.execute(update(AuditEvent).where(AuditEvent.id == second.id)
                       .values(target="mallory@example.com", hash=forged))
    result = _verify(runner)
    assert result.exit_code != 0
    assert f"event {third.id} does not follow event {second.id}" in result.output


def test_a_removed_event_is_named_by_the_gap_it_leaves(db, runner):
    first, second, third = _events(db, 3)
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == second.id))
    result = _verify(runner)
    assert result.exit_code != 0
    assert f"event {third.id} does not follow event {first.id}: an event between them was removed" in result.output


def test_removing_the_first_event_is_found(db, runner):
    first, second = _events(db, 2)
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == first.id))
    result = _verify(runner)
    assert result.exit_code != 0 and f"events before event {second.id} were removed" in result.output


def _insert(db, event_id: int, prev_hash: str, hashed: bool = True) -> None:
    fields = {"action": "user.set_role", "actor_id": None, "owner_id": None, "target": "mallory@example.com",
              "details": {"role": "admin"}, "remote_addr": None, "created_at": datetime(2026, 1, 1, 12)}
    digest = event_hash(**fields, prev_hash=prev_hash) if hashed else "f" * 64
    db.session.execute(insert(AuditEvent).values(id=event_id, prev_hash=prev_hash, hash=digest, **fields))


def test_an_event_inserted_into_the_chain_is_named(db, runner):
    """The forger chains the new row to the one before it; the row after still links past it."""
    first, second = _events(db, 2)
    inserted, moved = second.id, second.id + 10
    db.session.execute(update(AuditEvent).where(AuditEvent.id == inserted).values(id=moved))
    _insert(db, inserted, first.hash)
    result = _verify(runner)
    assert result.exit_code != 0
    assert f"event {inserted} was inserted: event {moved} links past it" in result.output


def test_an_event_inserted_without_a_valid_hash_is_named(db, runner):
    (first,) = _events(db, 1)
    _insert(db, first.id + 5, "e" * 64, hashed=False)
    result = _verify(runner)
    assert result.exit_code != 0 and f"event {first.id + 5} was inserted or changed" in result.output


def test_a_self_consistent_row_that_links_nowhere_is_named_as_inserted(db):
    first, second = _events(db, 2)
    inserted, moved = second.id, second.id + 10
    db.session.execute(update(AuditEvent).where(AuditEvent.id == inserted).values(id=moved))
    _insert(db, inserted, "e" * 64)
    db.session.expunge_all()  # the moved event's object still holds its old identity
    check = verify_chain(db.session)
    assert check.events == 2 and check.problem == f"event {inserted} was inserted: event {moved} links past it"


def test_concurrent_writers_never_fork_the_chain(db, committed):
    """Writers in their own connections, as gunicorn workers are, each chain onto the last committed event."""
    errors, engine = [], db.engine

    def write(worker: int) -> None:
        try:
            for n in range(10):
                with Session(engine) as session:
                    record_event(session, AuditAction.AUTH_LOGIN, Actor(None), target=f"w{worker}-{n}")
                    session.commit()
        except Exception as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with Session(db.engine) as session:
        check = verify_chain(session)
        links = session.scalars(select(AuditEvent.prev_hash)).all()
    assert check.intact, check.problem
    assert check.events == 40 and len(set(links)) == 40


def test_the_migration_chains_the_events_written_before_it(scratch_url):
    """An installation upgraded with an audit log already in it verifies, and new events chain onto the old."""
    app = create_app(settings.TestingConfig(scratch_url))
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0004")
        with _db.engine.begin() as connection:
            for n, details in enumerate(({"n": 1}, None)):
                connection.execute(text(
                    "INSERT INTO audit_events (action, actor_id, owner_id, target, details, remote_addr, created_at) "
                    "VALUES ('auth.login', NULL, NULL, :target, :details, '192.0.2.1', :at)"),
                    {"target": f"old{n}", "details": json.dumps(details) if details else None,
                     "at": datetime(2025, 1, 2, 3, 4, 5, 678901 * n)})
        flask_migrate.upgrade(directory=MIGRATIONS)
        assert verify_chain(_db.session).events == 2 and verify_chain(_db.session).intact
        record_event(_db.session, AuditAction.AUTH_LOGOUT, Actor(None))
        _db.session.commit()
        assert verify_chain(_db.session).events == 3 and verify_chain(_db.session).intact
        _db.session.remove()
        _db.engine.dispose()
