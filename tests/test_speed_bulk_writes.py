"""Bulk writes: PostgreSQL plans with fresh statistics at once, and an import does not hold up audited writes."""
import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.audit import Actor, AuditAction, record_event, verify_chain
from dashboard.importers.services import import_file
from dashboard.ledger import ANALYZE_AFTER_ROWS
from dashboard.models import AuditEvent
from tests import factories


def _bank_csv(rows: int) -> bytes:
    lines = ["Date,Description,Amount"] + [f"{1 + n % 28:02d}/{1 + n % 12:02d}/2025,Shop {n},-{n % 90 + 1}.25"
                                           for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _planner_rows(db) -> float:
    return db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'transactions'"))


def _statements_seen(db, action) -> list[str]:
    seen = []

    def listener(_connection, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return seen


def test_a_large_import_refreshes_the_planners_statistics(db, user, committed):
    account = factories.create_account(db.session, user)
    db.session.commit()
    rows = ANALYZE_AFTER_ROWS + 500
    statements = _statements_seen(db, lambda: import_file(db.session, Scope.of_user(user.id), Actor.system(),
                                                          _bank_csv(rows), "big.csv", account=account))
    analyzed = [s for s in statements if s.startswith("ANALYZE")]
    if db.engine.dialect.name == "postgresql":
        assert analyzed == ["ANALYZE transactions, monthly_totals"]
        assert _planner_rows(db) == rows  # the planner counts the new rows, not an empty table
    else:
        assert analyzed == []  # SQLite's ANALYZE reads every index in full; its planner does without


def test_a_small_write_leaves_the_statistics_to_autovacuum(db, user, committed):
    account = factories.create_account(db.session, user)
    db.session.commit()
    statements = _statements_seen(db, lambda: import_file(db.session, Scope.of_user(user.id), Actor.system(),
                                                          _bank_csv(20), "small.csv", account=account))
    assert not [s for s in statements if s.startswith("ANALYZE")]


def test_an_import_holds_the_audit_chain_only_for_its_last_event(db, user, committed):
    """While a large import writes its rows, another person's audited change goes through at once."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the import's first row already holds the whole database")
    account = factories.create_account(db.session, user)
    db.session.commit()
    logged_during_import = []

    def audited_write_elsewhere(done: int, read: int) -> None:
        with Session(db.engine) as other:
            other.execute(text("SET LOCAL lock_timeout = '3s'"))  # held by the import: fails instead of waiting
            record_event(other, AuditAction.AUTH_LOGIN, Actor(user.id), owner_id=user.id, target=f"rows:{done}")
            other.commit()
        logged_during_import.append(done)

    import_file(db.session, Scope.of_user(user.id), Actor.system(), _bank_csv(12_000), "big.csv", account=account,
                progress=audited_write_elsewhere)
    assert logged_during_import == [5_000, 10_000, 12_000]
    assert verify_chain(db.session).intact
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()[-1] == "import.create"
