"""`flask --app wsgi import FILE --user EMAIL --account NAME [--format auto]` as DESIGN.md defines it."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.importers.batches import import_parsed
from dashboard.importers.records import ParsedFile
from dashboard.ledger import verify_totals
from dashboard.models import Account, ImportBatch, Transaction
from tests import factories
from tests.test_importers_batches import statement

QIF_JANUARY = b"""!Type:Bank
D01/05/2025
T-3.50
PCoffee
^
D01/05/2025
T-3.50
PCoffee
^
D01/06/2025
T-20.00
PBooks
^
"""
QIF_JANUARY_AND_MORE = QIF_JANUARY + b"""D01/07/2025
T1000.00
PSalary
^
"""


def import_file(runner, path, *options):
    return runner.invoke(args=["import", str(path), "--user", "alice@example.com", "--account", "Everyday", *options])


def transactions(db) -> tuple[int, Decimal]:
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Transaction.amount), 0))).one()
    return count, Decimal(total)


def test_import_creates_the_account_and_reports_the_counts(runner, db, user, tmp_path):
    path = tmp_path / "january.qif"
    path.write_bytes(QIF_JANUARY)

    result = import_file(runner, path)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "read 3, inserted 3, duplicates 0"
    account = db.session.scalars(select(Account).where(Account.owner_id == user.id)).one()
    assert account.name == "Everyday"
    assert transactions(db) == (3, Decimal("-27.00"))


def test_the_same_file_again_and_an_overlapping_one_add_only_new_rows(runner, db, user, tmp_path):
    (tmp_path / "january.qif").write_bytes(QIF_JANUARY)
    (tmp_path / "later.qif").write_bytes(QIF_JANUARY_AND_MORE)

    import_file(runner, tmp_path / "january.qif")
    again = import_file(runner, tmp_path / "january.qif")
    later = import_file(runner, tmp_path / "later.qif")

    assert again.stdout.strip().splitlines()[-1] == "read 3, inserted 0, duplicates 3"
    assert later.stdout.strip().splitlines()[-1] == "read 4, inserted 1, duplicates 3"
    assert db.session.scalar(select(func.count()).select_from(Account)) == 1
    assert transactions(db) == (4, Decimal("973.00"))
    assert verify_totals(db.session) == []


def test_a_bad_file_exits_non_zero_with_the_line_and_writes_nothing(runner, db, user, tmp_path):
    path = tmp_path / "broken.qif"
    path.write_bytes(QIF_JANUARY.replace(b"D01/06/2025", b"D13/45/2025"))

    result = import_file(runner, path)

    assert result.exit_code != 0
    assert "broken.qif, line 10:" in result.stderr
    assert "nothing was imported" in result.stderr
    assert transactions(db) == (0, Decimal(0))
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_binary_junk_is_refused(runner, db, user, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    result = import_file(runner, path)
    assert result.exit_code != 0
    assert "photo.csv" in result.stderr and "not a file format we can read" in result.stderr


def test_an_unknown_user_is_refused(runner, db, tmp_path):
    path = tmp_path / "january.qif"
    path.write_bytes(QIF_JANUARY)
    result = runner.invoke(args=["import", str(path), "--user", "nobody@example.com", "--account", "X"])
    assert result.exit_code != 0 and "no user nobody@example.com" in result.stderr


def test_an_ambiguous_csv_asks_for_a_mapping_then_remembers_it(runner, db, user, bank_exports):
    path = bank_exports / "csv" / "multi-line-field.csv"
    asked = import_file(runner, path)
    assert asked.exit_code != 0 and "--mapping" in asked.stderr and "2=Column 3" in asked.stderr

    mapping = {"date_column": 2, "date_format": "ISO 8601 date-time", "description_columns": [3, 7],
               "amount_column": 8, "has_header": False}
    mapped = import_file(runner, path, "--mapping", json.dumps(mapping))
    assert mapped.exit_code == 0, mapped.output
    assert mapped.stdout.strip().splitlines()[-1] == "read 1, inserted 1, duplicates 0"

    remembered = import_file(runner, path)  # the account's saved mapping reads it now
    assert remembered.stdout.strip().splitlines()[-1] == "read 1, inserted 0, duplicates 1"
    assert transactions(db) == (1, Decimal("-21.59"))


def test_a_bad_mapping_is_a_usage_error(runner, db, user, bank_exports):
    result = import_file(runner, bank_exports / "csv" / "gls.csv", "--mapping", '{"date_column": 0}')
    assert result.exit_code == 2 and "--mapping" in result.stderr


def test_format_can_be_named(runner, db, user, bank_exports):
    account = factories.create_account(db.session, user, "Everyday", currency="USD")
    result = import_file(runner, bank_exports / "ofx2-xml" / "stmtrs.ofx", "--format", "ofx")
    assert result.stdout.strip().splitlines()[-1] == "read 2, inserted 2, duplicates 0"
    db.session.refresh(account)
    assert account.ledger_balance == Decimal("200.29")
    wrong = import_file(runner, bank_exports / "ofx2-xml" / "stmtrs.ofx", "--format", "qif")
    assert wrong.exit_code != 0


def test_a_large_file_imports_with_a_progress_bar(runner, db, user, tmp_path):
    rows = "".join(f"2025-01-{day % 28 + 1:02d},Shop {day % 97},-{day % 500}.{day % 100:02d}\n" for day in range(12_000))
    path = tmp_path / "large.csv"
    path.write_text("Date,Description,Amount\n" + rows)

    result = import_file(runner, path)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "read 12000, inserted 12000, duplicates 0"
    assert "importing" in result.stderr
    assert verify_totals(db.session) == []


def test_a_mapping_without_has_header_keeps_the_first_row_of_a_file_without_header(runner, db, user, tmp_path):
    path = tmp_path / "no-header.csv"
    path.write_text("01/02/2025,Coffee,-3.50\n02/03/2025,Tea,-2.00\n03/04/2025,Cake,-4.00\n")
    mapping = {"date_column": 0, "date_format": "DD/MM/YYYY", "description_columns": [1], "amount_column": 2}

    result = import_file(runner, path, "--mapping", json.dumps(mapping))  # as the --help example writes one

    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "read 3, inserted 3, duplicates 0"
    assert transactions(db) == (3, Decimal("-9.50"))


def test_a_new_account_takes_the_currency_given_when_the_file_states_none(runner, db, user, sage_exports):
    result = runner.invoke(args=["import", str(sage_exports / "audit_trail_2025Q1.csv"), "--user", user.email,
                                 "--account", "Sage ledger", "--currency", "gbp"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Account.currency).where(Account.name == "Sage ledger")) == "GBP"
    assert set(db.session.scalars(select(Transaction.currency))) == {"GBP"}


def test_an_unknown_currency_is_a_usage_error(runner, db, user, sage_exports):
    result = runner.invoke(args=["import", str(sage_exports / "audit_trail_2025Q1.csv"), "--user", user.email,
                                 "--account", "Sage ledger", "--currency", "POUNDS"])
    assert result.exit_code == 2 and "ISO 4217" in result.output
    assert db.session.scalar(select(Account.id)) is None


def test_an_account_name_too_long_to_store_is_a_usage_error(runner, db, user, sage_exports):
    result = runner.invoke(args=["import", str(sage_exports / "audit_trail_2025Q1.csv"), "--user", user.email,
                                 "--account", "x" * 121])
    assert result.exit_code == 2 and "1 to 120 characters" in result.output
    assert db.session.scalar(select(Account.id)) is None


def test_date_order_reads_an_ambiguous_csv_and_the_users_preference_is_the_default(runner, db, user, tmp_path):
    path = tmp_path / "bank.csv"
    path.write_bytes(b"Date,Description,Amount\n02/03/2025,Rent,-500.00\n04/05/2025,Salary,2000.00\n")
    asked = import_file(runner, path)
    assert asked.exit_code != 0 and "which is it?" in asked.output

    result = import_file(runner, path, "--date-order", "dmy")
    assert result.exit_code == 0, result.output
    assert [d.isoformat() for d in db.session.scalars(select(Transaction.date).order_by(Transaction.date))] == [
        "2025-03-02", "2025-05-04"]

    user.preferences = {"date_order": "mdy"}
    db.session.commit()
    other = tmp_path / "other.csv"
    other.write_bytes(b"Date,Description,Amount\n02/03/2025,Rent,-500.00\n")
    assert import_file(runner, other, "--account", "Savings").exit_code == 0
    assert db.session.scalar(select(func.max(Transaction.date)).join(Account).where(Account.name == "Savings")
                             ).isoformat() == "2025-02-03"
def test_account_names_differing_only_in_case_name_one_account(runner, db, user, bank_exports):
    everyday = factories.create_account(db.session, user, "EVERYDAY")
    db.session.commit()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        factories.create_account(db.session, user, "Everyday")  # the database refuses a clash itself
    result = import_file(runner, bank_exports / "ofx2-xml" / "stmtrs.ofx")
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(Transaction.account_id).distinct()).all() == [everyday.id]


def test_a_further_account_of_a_file_never_takes_a_name_in_use(db, user):
    chosen = factories.create_account(db.session, user, "Everyday")
    factories.create_account(db.session, user, "EVERYDAY ···9041")  # the name the file's second account would take
    parsed = ParsedFile(format="ofx", statements=[
        statement(("2025-01-02", "-5", "Tea"), account_id="111122223333"),
        statement(("2025-01-03", "-6", "Cake"), account_id="999988889041")])
    import_parsed(db.session, Scope.of_user(user.id), Actor(user.id), chosen, parsed, "two.ofx", b"two")
    db.session.commit()
    names = db.session.scalars(select(Account.name).where(Account.owner_id == user.id).order_by(Account.id)).all()
    assert names == ["Everyday", "EVERYDAY ···9041", "Everyday ···9041 (2)"]
