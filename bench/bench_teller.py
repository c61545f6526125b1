"""Teller sync of 10 accounts x 2,000 transactions against the loopback test server: time and request count.

Run: `.venv/bin/python bench/bench_teller.py [DATABASE_URL]` (a throwaway SQLite file by default).
"""
from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import flask_migrate
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import TestingConfig  # noqa: E402
from dashboard import create_app, jobs  # noqa: E402
from dashboard.access import Scope  # noqa: E402
from dashboard.audit import Actor  # noqa: E402
from dashboard.auth.services import create_user  # noqa: E402
from dashboard.extensions import db  # noqa: E402
from dashboard.teller.client import TellerClient, settings_from_config  # noqa: E402
from dashboard.teller.enrollments import enroll  # noqa: E402
from tests.teller_server import TellerState, teller_server  # noqa: E402

ACCOUNTS, ROWS = 10, 2000


def main(url: str | None) -> None:
    bank = TellerState()
    today = date.today()
    for a in range(ACCOUNTS):
        bank.add_account("bench_token", f"acc_{a}", name=f"Account {a}", last_four=f"{a:04}")
        for n in range(ROWS):
            bank.add_transaction(f"acc_{a}", f"txn_{a}_{n:05}", (today - timedelta(days=n // 5)).isoformat(),
                                 f"-{n % 97}.{n % 100:02}", f"Merchant {n % 300}")
    with tempfile.TemporaryDirectory() as folder, teller_server(bank) as api:
        config = TestingConfig(url or f"sqlite:///{folder}/bench.db")
        config.ENCRYPTION_KEY, config.TELLER_API_URL = Fernet.generate_key().decode(), api
        app = create_app(config)
        with app.app_context():
            flask_migrate.upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
            user = create_user(db.session, "bench@example.com", "correct horse battery")
            enrollment = enroll(db.session, Scope.of_user(user.id), Actor.system(), "bench_token",
                                lambda t: TellerClient(t, settings_from_config(app.config)))
            db.session.commit()
            for label in ("first sync", "second sync (nothing new)"):
                bank.requests.clear()
                started = time.perf_counter()
                result = jobs.run_sync(enrollment.id)
                elapsed = time.perf_counter() - started
                added = sum(a.added for a in result.accounts)
                print(f"{label}: {elapsed:.2f} s, {len(bank.requests)} requests, {added} rows added, "
                      f"failed={result.failed}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
