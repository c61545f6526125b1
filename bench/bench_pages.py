"""Render the transaction pages over a million rows in one account on PostgreSQL; print medians and plans.

    .venv/bin/python bench/bench_pages.py [--transactions 1000000] [--runs 20]

Uses BENCH_DATABASE_URL when set (seeding it only when the demo account does
not already hold that many rows, or with --reseed); otherwise starts a
throwaway PostgreSQL from the machine's binaries, as the tests do.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate
from sqlalchemy import event, select, text

from config import TestingConfig
from dashboard import create_app
from dashboard.access import Scope
from dashboard.accounts.queries import transaction_count
from dashboard.auth.services import find_user
from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from dashboard.extensions import db
from dashboard.models import Account, Transaction
from dashboard.paging import encode_key
from tests.postgres_server import postgres_url

BUDGET_MS = 100


def prepare(app, count: int, reseed: bool) -> Account:
    """Migrate, and seed COUNT demo rows into the checking account unless they are there already."""
    flask_migrate.upgrade(directory=str(ROOT / "migrations"))
    user = find_user(db.session, DEMO_EMAIL)
    account = user and db.session.scalar(select(Account).where(Account.owner_id == user.id,
                                                               Account.external_id == "demo-checking"))
    if reseed or account is None or transaction_count(db.session, Scope.of_user(user.id), account.id) != count:
        started = time.perf_counter()
        seed_demo(db.session, count, single_account=True)
        db.session.commit()
        print(f"seeded {count:,} transactions in one account in {time.perf_counter() - started:.0f}s", flush=True)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE transactions"))
            connection.execute(text("VACUUM ANALYZE monthly_totals"))
        user = find_user(db.session, DEMO_EMAIL)
        account = db.session.scalar(select(Account).where(Account.owner_id == user.id,
                                                          Account.external_id == "demo-checking"))
    return account


def pages(account: Account, count: int) -> dict[str, str]:
    """The views a person opens: the first, a middle and the last page, searches and a filtered view."""
    middle = db.session.execute(
        select(Transaction.date, Transaction.id).where(Transaction.account_id == account.id)
        .order_by(Transaction.date.desc(), Transaction.id.desc()).offset(count // 2).limit(1)
    ).one()
    base = f"/accounts/{account.id}"
    spring = date.today() - timedelta(days=300)
    return {
        "first page": base,
        "middle page": f"{base}?after={encode_key(middle.date, middle.id)}",
        "last page": f"{base}?last=1",
        "search (common: café)": f"{base}?q=caf%C3%A9",
        "search (rare: netflix)": f"{base}?q=netflix",
        "filtered (category + dates)": f"{base}?category=Groceries&date_from={spring}&date_to={spring + timedelta(days=90)}",
        "filtered (amount: large)": f"{base}?amount_min=1000",
        "filtered (pending only)": f"{base}?status=pending",
        "sorted by amount": f"{base}?sort=-amount",
        "all transactions": "/transactions",
        "all transactions, search": "/transactions?q=tesco&sort=date",
    }


def captured_statements(client, url: str) -> list[tuple[str, object]]:
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return statements


def explain(statement: str, parameters) -> str:
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--no-plans", action="store_true", help="Only the medians.")
    options = parser.parse_args()

    with postgres_url(os.environ.get("BENCH_DATABASE_URL")) as url:
        app = create_app(TestingConfig(url))
        with app.app_context():
            account = prepare(app, options.transactions, options.reseed)
            client = app.test_client()
            client.post("/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
            results = []
            for name, url_path in pages(account, options.transactions).items():
                for _warm_up in range(2):
                    assert client.get(url_path).status_code == 200, url_path
                timings = []
                for _run in range(options.runs):
                    started = time.perf_counter()
                    response = client.get(url_path)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
                shown = response.get_data(as_text=True).count('name="ids"')
                results.append((name, url_path, statistics.median(timings), max(timings), shown))
                if not options.no_plans:
                    print(f"\n=== {name}: {url_path}")
                    for statement, parameters in captured_statements(client, url_path):
                        if "FROM transactions" in statement:
                            print(explain(statement, parameters), "\n")
            print(f"\n{options.transactions:,} transactions in one account, {options.runs} runs per page "
                  f"(Flask test client, page rendered):")
            print(f"{'page':32} {'median ms':>10} {'max ms':>8} {'rows':>5}")
            for name, _url, median, worst, shown in results:
                print(f"{name:32} {median:10.1f} {worst:8.1f} {shown:5}{'' if median < BUDGET_MS else '  OVER BUDGET'}")
            db.session.remove()
            db.engine.dispose()
    return 0 if all(median < BUDGET_MS for _n, _u, median, _w, _s in results) else 1


if __name__ == "__main__":
    sys.exit(main())
