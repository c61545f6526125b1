"""Benchmark a 100,000-row CSV import on PostgreSQL against COPY of the same rows.

    .venv/bin/python bench/bench_import.py [--rows 100000]

Uses BENCH_DATABASE_URL when set, otherwise a throwaway PostgreSQL started
from the machine's binaries. Generates a bank CSV, imports it the way the
CLI does (parse, then the loader inside one database transaction, with
de-duplication and monthly totals), imports it again (every row a
duplicate), then COPYs the same rows into a scratch table shaped like
``transactions`` and prints rows per second and the ratio. Then it imports the
same file ``--repeat`` times without rules and with ``--rules`` rules,
alternately (200 by default: text, amount, counterparty and
regular-expression conditions), and prints what the rules add to the import's
median time, wall-clock and CPU (the target is at most 25 %).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
import resource
from datetime import date, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import delete, func, select, text  # noqa: E402

from config import TestingConfig  # noqa: E402
from dashboard import create_app  # noqa: E402
from dashboard.access import Scope  # noqa: E402
from dashboard.audit import Actor  # noqa: E402
from dashboard.auth.services import create_user  # noqa: E402
from dashboard.extensions import db  # noqa: E402
from dashboard.importers.detect import parse_file  # noqa: E402
from dashboard.importers.batches import import_parsed  # noqa: E402
from dashboard.models import Account, Rule, Transaction, User  # noqa: E402
from dashboard.rules.services import import_rules  # noqa: E402
from tests.postgres_server import postgres_url  # noqa: E402

BENCH_EMAIL = "bench-import@example.com"
SHOPS = ["Tesco", "Sainsbury's", "Pret A Manger", "TfL", "Amazon", "Shell", "Boots", "Netflix", "Rent", "Salary"]


def generated_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    start = date(2020, 1, 1)
    lines = ["Date,Description,Amount,Balance"]
    balance = 0
    for number in range(rows):
        day = start + timedelta(days=number * 1500 // rows)
        pence = rng.randint(-15_000, 2_000) if rng.random() > 0.02 else rng.randint(100_000, 400_000)
        balance += pence
        lines.append(f"{day:%d/%m/%Y},{rng.choice(SHOPS)} {rng.randint(1, 9999)},"
                     f"{pence / 100:.2f},{balance / 100:.2f}")
    return ("\n".join(lines) + "\n").encode()


def bench_rules(count: int, seed: int = 11) -> list[dict]:
    """``count`` rules of the kinds people write: most a "description contains" a merchant (a few of them the
    file's shops), some with an amount range, some on the counterparty, a few regular expressions."""
    rng = random.Random(seed)
    rules = []
    for number in range(count):
        shop = SHOPS[number] if number < len(SHOPS) else f"merchant{number:03d}"
        conditions = [{"field": "description", "op": "contains", "value": shop}]
        kind = number % 10
        if kind == 7:
            conditions.append({"field": "amount", "op": "between", "value": ["-500", "0"]})
        elif kind == 8:
            conditions = [{"field": "counterparty", "op": "equals", "value": shop}]
        elif kind == 9 and number % 20 == 9:
            conditions = [{"field": "description", "op": "matches", "value": rf"^{shop}\s+\d{{2,4}}$"}]
        rules.append({"name": f"rule {number}", "match": "all", "stop": rng.random() < 0.9,
                      "conditions": conditions,
                      "actions": [{"action": "set_category", "value": f"Category {number % 40}"}]})
    return rules


def timed_import(user: User, name: str, data: bytes) -> tuple[float, float, object]:
    """Parse and import ``data`` into a new account called ``name``: the wall-clock seconds, this process's CPU
    seconds (less disturbed by a busy machine) and the batch."""
    account = Account(owner_id=user.id, name=name, currency="GBP")
    db.session.add(account)
    db.session.commit()
    started, cpu = time.perf_counter(), time.process_time()
    batch = import_parsed(db.session, Scope.of_user(user.id), Actor.system(), account, parse_file(data, "bench.csv"),
                          "bench.csv", data)
    db.session.commit()
    return time.perf_counter() - started, time.process_time() - cpu, batch


def rules_overhead(user: User, data: bytes, rule_count: int, repeat: int) -> tuple[list, list, int]:
    """Import ``data`` ``repeat`` times without rules and with ``rule_count`` rules, alternately (so a busy
    machine slows both alike); the (wall, cpu) timings of each and how many rows the rules categorised."""
    plain, ruled, categorised = [], [], 0
    rules = json.dumps(bench_rules(rule_count))
    for number in range(repeat):
        db.session.execute(delete(Rule).where(Rule.owner_id == user.id))
        db.session.commit()
        wall, cpu, _ = timed_import(user, f"Bench without rules {number}", data)
        plain.append((wall, cpu))
        import_rules(db.session, Scope.of_user(user.id), Actor.system(), rules)
        db.session.commit()
        wall, cpu, batch = timed_import(user, f"Bench with rules {number}", data)
        ruled.append((wall, cpu))
        categorised = db.session.scalar(select(func.count()).where(Transaction.batch_id == batch.id,
                                                                   Transaction.category.is_not(None)))
    return plain, ruled, categorised


def copy_rows(connection, owner_id: int, account_id: int, parsed) -> float:
    """COPY the parsed rows into a scratch table like ``transactions``; returns seconds."""
    buffer = io.StringIO()
    for number, row in enumerate(parsed.transactions):
        description = row.description.replace("\t", " ").replace("\\", "\\\\")
        buffer.write(f"{owner_id}\t{account_id}\tcopy:{number}\t{row.date.isoformat()}\t{description}\t"
                     f"{int(row.amount * 10_000)}\tGBP\tposted\t{description.casefold()}\n")
    buffer.seek(0)
    cursor = connection.cursor()
    cursor.execute("DROP TABLE IF EXISTS bench_copy")
    cursor.execute("CREATE TABLE bench_copy (LIKE transactions INCLUDING DEFAULTS INCLUDING INDEXES)")
    started = time.perf_counter()
    cursor.copy_expert("COPY bench_copy (owner_id, account_id, external_id, date, description, amount, currency, "
                       "status, search_text) FROM STDIN", buffer)
    connection.commit()
    elapsed = time.perf_counter() - started
    cursor.execute("DROP TABLE bench_copy")
    connection.commit()
    return elapsed


def run(url: str, rows: int, rule_count: int, repeat: int) -> None:
    app = create_app(TestingConfig(url))
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        user = db.session.scalar(select(User).where(User.email == BENCH_EMAIL))
        if user is None:
            user = create_user(db.session, BENCH_EMAIL, "bench-password-not-used")
        db.session.execute(delete(Account).where(Account.owner_id == user.id))
        db.session.execute(delete(Rule).where(Rule.owner_id == user.id))
        account = Account(owner_id=user.id, name="Bench", currency="GBP")
        db.session.add(account)
        db.session.commit()

        data = generated_csv(rows)
        started = time.perf_counter()
        parsed = parse_file(data, "bench.csv")
        parsed_at = time.perf_counter()
        batch = import_parsed(db.session, Scope.of_user(user.id), Actor.system(), account, parsed, "bench.csv", data)
        db.session.commit()
        imported_at = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

        again = import_parsed(db.session, Scope.of_user(user.id), Actor.system(), account, parse_file(data, "bench.csv"), "bench.csv", data)
        db.session.commit()
        again_at = time.perf_counter()
        stored = db.session.scalar(select(func.count()).where(Transaction.account_id == account.id))
        inserted, duplicates = batch.rows_inserted, again.rows_duplicate
        assert inserted == rows == stored and again.rows_inserted == 0, "the import lost or duplicated rows"

        raw = db.engine.raw_connection()
        try:
            copy_seconds = copy_rows(raw.driver_connection, user.id, account.id, parsed)
        finally:
            raw.close()

        plain, ruled, categorised = rules_overhead(user, data, rule_count, repeat)
        wall, cpu = (median(t[0] for t in plain), median(t[0] for t in ruled)), \
            (median(t[1] for t in plain), median(t[1] for t in ruled))
        print(f"rules: {rule_count} rules over the same {rows:,} rows, medians of {repeat} alternate imports: "
              f"{wall[1]:.2f} s against {wall[0]:.2f} s without ({(wall[1] / wall[0] - 1) * 100:+.0f} %); "
              f"this process's CPU {cpu[1]:.2f} s against {cpu[0]:.2f} s ({(cpu[1] / cpu[0] - 1) * 100:+.0f} %); "
              f"target at most +25 %; {categorised:,} rows categorised", flush=True)
        db.session.execute(delete(Account).where(Account.owner_id == user.id))
        db.session.execute(delete(Rule).where(Rule.owner_id == user.id))
        db.session.execute(text("DELETE FROM monthly_totals WHERE account_id NOT IN (SELECT id FROM accounts)"))
        db.session.commit()

    parse_seconds, load_seconds = parsed_at - started, imported_at - parsed_at
    total = imported_at - started
    print(f"file: {rows:,} rows, {len(data) / 1e6:.1f} MB CSV")
    print(f"parse:            {parse_seconds:6.2f} s  {rows / parse_seconds:>10,.0f} rows/s")
    print(f"load (database):  {load_seconds:6.2f} s  {rows / load_seconds:>10,.0f} rows/s")
    print(f"import in total:  {total:6.2f} s  {rows / total:>10,.0f} rows/s   peak process memory {peak / 1e6:.0f} MB")
    print(f"same file again:  {again_at - imported_at:6.2f} s  (0 inserted, {duplicates:,} duplicates)")
    print(f"COPY:             {copy_seconds:6.2f} s  {rows / copy_seconds:>10,.0f} rows/s")
    print(f"ratio: the database load takes {load_seconds / copy_seconds:.1f}x COPY; "
          f"the whole import {total / copy_seconds:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="imports with and without rules, alternately")
    args = parser.parse_args()
    with postgres_url(os.environ.get("BENCH_DATABASE_URL")) as url:
        run(url, args.rows, args.rules, args.repeat)


if __name__ == "__main__":
    main()
