"""`flask import` of a large CSV streams: memory bounded by a chunk, a late bad row refuses the whole file."""
from __future__ import annotations

import random
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from dashboard.importers.bank_csv import STREAM_SAMPLE_CHARACTERS
from dashboard.importers.detect import parse_file
from dashboard.ledger import verify_totals
from dashboard.models import Account, AuditEvent, ImportBatch, Transaction

ROWS = 50_000


def bank_file(rows: int, seed: int = 5) -> tuple[bytes, Decimal]:
    """A bank export, oldest first, with a running balance and a few pending rows; and the closing balance."""
    rng = random.Random(seed)
    start, balance = date(2023, 1, 1), Decimal("1000.00")
    lines = ["Date,Description,Amount,Balance,Status"]
    for number in range(rows):
        amount = Decimal(rng.randint(-9_000, 3_000)) / 100
        balance += amount
        status = "Pending" if number >= rows - 3 else "Booked"
        lines.append(f"{start + timedelta(days=number * 1000 // rows):%d/%m/%Y},Shop {rng.randint(1, 400)},"
                     f"{amount},{balance},{status}")
    return ("\n".join(lines) + "\n").encode(), balance


def import_path(runner, path, account="Everyday"):
    return runner.invoke(args=["import", str(path), "--user", "alice@example.com", "--account", account,
                               "--currency", "GBP", "--date-order", "dmy"])


def peak_traced_mb(action) -> tuple[float, object]:
    tracemalloc.start()
    try:
        result = action()
        return tracemalloc.get_traced_memory()[1] / 1e6, result
    finally:
        tracemalloc.stop()


def test_a_large_file_imports_in_bounded_memory_with_its_balance_and_pending_rows(runner, db, user, tmp_path):
    data, closing = bank_file(ROWS)
    assert len(data) > STREAM_SAMPLE_CHARACTERS * 4
    path = tmp_path / "large.csv"
    path.write_bytes(data)
    held_mb, _ = peak_traced_mb(lambda: parse_file(data, "large.csv", "auto", None, "dmy"))
    warm_up = tmp_path / "small.csv"  # the app's fixed costs (the similarity model, SQL caches) are paid once
    warm_up.write_bytes(data[:2_000].rsplit(b"\n", 1)[0] + b"\n")
    assert import_path(runner, warm_up, "Warm-up").exit_code == 0
    fifth = tmp_path / "fifth.csv"
    fifth.write_bytes(bank_file(ROWS // 5, seed=7)[0])
    fifth_mb, fifth_result = peak_traced_mb(lambda: import_path(runner, fifth, "Fifth"))
    assert fifth_result.exit_code == 0, fifth_result.output

    streamed_mb, result = peak_traced_mb(lambda: import_path(runner, path))

    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == f"read {ROWS}, inserted {ROWS}, duplicates 0"
    measured = f"{ROWS:,} rows {streamed_mb:.1f} MB, {ROWS // 5:,} rows {fifth_mb:.1f} MB, parsing held {held_mb:.1f} MB"
    assert streamed_mb < fifth_mb * 1.5, measured  # bounded by a chunk: five times the rows, not five times the memory
    assert streamed_mb < held_mb / 1.5, measured
    account = db.session.scalars(select(Account).where(Account.name == "Everyday")).one()
    count, pending, total = db.session.execute(
        select(func.count(), func.count().filter(Transaction.status == "pending"), func.sum(Transaction.amount))
        .where(Transaction.account_id == account.id)).one()
    assert (count, pending) == (ROWS, 3)
    assert account.ledger_balance == closing
    assert Decimal(total) == closing - Decimal("1000.00")
    assert verify_totals(db.session) == []
    batch = db.session.scalars(select(ImportBatch).where(ImportBatch.account_id == account.id)).one()
    assert (batch.rows_read, batch.rows_inserted) == (ROWS, ROWS)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.target == f"import_batch:{batch.id}")) == 1


def test_the_same_large_file_twice_adds_nothing(runner, db, user, tmp_path):
    data, _ = bank_file(10_000, seed=6)
    assert len(data) > STREAM_SAMPLE_CHARACTERS
    path = tmp_path / "again.csv"
    path.write_bytes(data)
    assert import_path(runner, path).exit_code == 0

    again = import_path(runner, path)

    assert again.exit_code == 0, again.output
    assert again.stdout.strip().splitlines()[-1] == "read 10000, inserted 0, duplicates 10000"
    assert db.session.scalar(select(func.count()).select_from(Transaction)) == 10_000


def test_a_bad_row_near_the_end_refuses_the_whole_file(runner, db, user, tmp_path):
    data, _ = bank_file(ROWS)
    lines = data.decode().splitlines()
    lines[-5] = lines[-5].replace("/", ".", 1)  # "12.09/2025": not a date in DD/MM/YYYY
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(lines) + "\n")

    result = import_path(runner, path)

    assert result.exit_code != 0
    assert result.output.strip().splitlines()[-1] == (
        f'Error: broken.csv, line {len(lines) - 4}: "{lines[-5].split(",")[0]}" is not a date in DD/MM/YYYY; '
        "nothing was imported")
    assert db.session.scalar(select(func.count()).select_from(Transaction)) == 0
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    assert db.session.scalars(select(Account).where(Account.owner_id == user.id)).all() == []
