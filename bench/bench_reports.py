"""Benchmark the report pages at a million transactions on PostgreSQL.

    .venv/bin/python bench/bench_reports.py [--transactions 1000000] [--runs 20]

Uses BENCH_DATABASE_URL when set (seeding the demo user there only when it
has fewer transactions than asked), otherwise a throwaway PostgreSQL started
from the machine's binaries. Renders every report page ``--runs`` times
through the app and prints the median, then runs the income-and-expenses
aggregate as raw SQL over ``transactions`` (the SQL is printed, to paste into
psql) and over ``monthly_totals``, so the ratio is visible.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from config import TestingConfig  # noqa: E402
from dashboard import create_app  # noqa: E402
from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo  # noqa: E402
from dashboard.extensions import db  # noqa: E402
from dashboard.models import MonthlyTotal, Transaction, User  # noqa: E402
from dashboard.reports.periods import preset_period  # noqa: E402
from tests.postgres_server import postgres_url  # noqa: E402

TARGET_MS = 300
PAGES = [
    "/reports/income-and-expenses",
    "/reports/income-and-expenses?period=custom&start={two_years_ago}&end={this_month}",
    "/reports/categories",
    "/reports/categories?period=last_12_months",
    "/reports/profit-and-loss?period=last_12_months&expand=sales&expand=overheads",
    "/reports/profit-and-loss/codes/7500?period=last_3_months&currency=GBP",
    "/reports/balances",
    "/reports/balances?step=day&period=last_3_months",
    "/reports/balances?step=day&period=last_12_months",
    "/reports/income-and-expenses?format=csv",
    "/admin/",
    "/admin/reports/income-and-expenses",
    "/admin/reports/categories",
    "/admin/reports/profit-and-loss",
    "/admin/reports/balances",
]
RAW_SQL = """SELECT CAST(date_trunc('month', date) AS DATE) AS month, currency,
       SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS income,
       SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS expenses
FROM transactions
WHERE owner_id = {owner} AND date BETWEEN '{start}' AND '{end}' AND category IS DISTINCT FROM 'Transfers'
GROUP BY 1, 2 ORDER BY 1, 2"""
ROLLUP_SQL = """SELECT month, currency, SUM(income), SUM(expense)
FROM monthly_totals
WHERE owner_id = {owner} AND month BETWEEN '{start}' AND '{first_of_end}' AND category <> 'Transfers'
GROUP BY 1, 2 ORDER BY 1, 2"""


def _median_ms(action, runs: int) -> float:
    action()  # warm up caches and the connection pool
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _seed(count: int) -> int:
    existing = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    have = 0
    if existing is not None:
        have = int(db.session.scalar(select(func.coalesce(func.sum(MonthlyTotal.transactions), 0))
                                     .where(MonthlyTotal.owner_id == existing.id)))
    if have < count:
        print(f"seeding {count:,} demo transactions (this takes a few minutes)...", flush=True)
        started = time.perf_counter()
        seed_demo(db.session, count)
        db.session.commit()
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return db.session.scalar(select(User.id).where(User.email == DEMO_EMAIL))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    with postgres_url(os.environ.get("BENCH_DATABASE_URL")) as url:
        app = create_app(TestingConfig(url))
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            owner = _seed(args.transactions)
            total = db.session.scalar(select(func.count()).select_from(Transaction))
            print(f"PostgreSQL, {total:,} transactions, {args.runs} runs per page, median in ms (target < {TARGET_MS})")
            client = app.test_client()
            client.post("/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
            today = date.today()
            fill = {"two_years_ago": f"{today.year - 2}-{today.month:02d}", "this_month": f"{today:%Y-%m}"}
            worst = 0.0
            for page in PAGES:
                path = page.format(**fill)

                def render(path=path):
                    response = client.get(path)
                    assert response.status_code == 200, (path, response.status_code)

                median = _median_ms(render, args.runs)
                worst = max(worst, median)
                print(f"{median:8.1f}  {'ok  ' if median < TARGET_MS else 'SLOW'}  {path}")

            period = preset_period("last_12_months", today)
            values = {"owner": owner, "start": period.start_date, "end": period.end_date, "first_of_end": period.last}
            raw, rollup = RAW_SQL.format(**values), ROLLUP_SQL.format(**values)

            def run(sql):
                return lambda: db.session.execute(text(sql)).all()

            raw_ms, rollup_ms = _median_ms(run(raw), args.runs), _median_ms(run(rollup), args.runs)
            print("\nThe income-and-expenses aggregate for the last 12 months, as raw SQL (paste into psql):")
            print(raw + ";")
            print(f"\nraw GROUP BY month over transactions: {raw_ms:8.1f} ms")
            print(f"same from monthly_totals:             {rollup_ms:8.1f} ms  (ratio {raw_ms / rollup_ms:,.0f}x)")
            print(f"slowest page median: {worst:.1f} ms")
            return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
