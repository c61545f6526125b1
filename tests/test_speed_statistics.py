"""After a bulk write, PostgreSQL plans with fresh statistics instead of waiting for autovacuum."""
from sqlalchemy import event, text

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.importers.services import import_file
from dashboard.ledger import ANALYZE_AFTER_ROWS
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


def test_a_large_import_refreshes_the_planners_statistics(db, user):
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


def test_a_small_write_leaves_the_statistics_to_autovacuum(db, user):
    account = factories.create_account(db.session, user)
    db.session.commit()
    statements = _statements_seen(db, lambda: import_file(db.session, Scope.of_user(user.id), Actor.system(),
                                                          _bank_csv(20), "small.csv", account=account))
    assert not [s for s in statements if s.startswith("ANALYZE")]
