"""Writing a batch: identity, de-duplication, atomicity, balances, currencies, concurrency."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.importers import batches, services
from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded
from dashboard.importers.detect import parse_file
from dashboard.importers.records import ImportFileError, ParsedFile, ParsedStatement, ParsedTransaction
from dashboard.ledger import verify_totals
from dashboard.models import Account, ImportBatch, Transaction, TransactionVector
from tests import factories

# Per file: transactions and their exact sum, as the parsers' own tests read them from each file.
EXPECTED = {
    "bank-exports/camt053/camt053.v2.five.decimals.xml": (1, "8.85"),
    "bank-exports/camt053/camt053.v2.multi.statement.xml": (2, "1.85"),
    "bank-exports/camt053/camt053.v8.xml": (1, "8.85"),
    "bank-exports/csv/bom_utf8_file/input.csv": (1, "-7.49"),
    "bank-exports/csv/capitalone.csv": (2, "0.00"),
    "bank-exports/csv/danish_kroner_nordea_example.csv": (6, "-4732.00"),
    "bank-exports/csv/extratofake.csv": (22, "805.00"),
    "bank-exports/csv/gls.csv": (1, "-98.76"),
    "bank-exports/csv/invalid_header_example.csv": (2, "41.90"),
    "bank-exports/csv/multi-line-field.csv": (1, "-21.59"),  # with the mapping a user picks (VENMO_MAPPING)
    "bank-exports/csv/inversed_credit_card.csv": (16, "187.01"),
    "bank-exports/csv/nationwide.csv": (4, "360.23"),
    "bank-exports/csv/outbank.csv": (4, "-35.89"),
    "bank-exports/csv/schwab-checking.csv": (4, "-215.27"),
    "bank-exports/csv/ubs-ch-fr_trimmed.csv": (3, "30.00"),
    "bank-exports/csv/xero.csv": (13, "0"),
    "bank-exports/ofx1-sgml/bank_medium.ofx": (3, "-345.27"),
    "bank-exports/ofx1-sgml/br_nubank_cc.ofx": (6, "-1280.91"),
    "bank-exports/ofx1-sgml/checking.ofx": (3, "-59.50"),
    "bank-exports/ofx1-sgml/example.qbo": (23, "-691.81"),
    "bank-exports/ofx1-sgml/ofx-v102-empty-tags.ofx": (1, "12.34"),
    "bank-exports/ofx1-sgml/ofxdownload.ofx": (12, "-352.82"),
    "bank-exports/ofx2-xml/anzcc.ofx": (1, "-5.50"),
    "bank-exports/ofx2-xml/multiple_accounts2.ofx": (0, "0"),
    "bank-exports/ofx2-xml/stmtrs.ofx": (2, "-500.00"),
    "bank-exports/ofx2-xml/stmtrs_euro.ofx": (2, "-500.00"),
    "bank-exports/ofx2-xml/suncorp.ofx": (1, "-16.85"),
    "bank-exports/qfx/chase_cc.qfx": (1, "-10.00"),
    "bank-exports/qfx/html-vals.qfx": (2, "-2.00"),
    "bank-exports/qif/data-with-categories.qif": (3, "-161.33"),
    "bank-exports/qif/ubs-ch-fr.qif": (3, "30.00"),
    "bank-exports/qif/xero.qif": (5, "-233000.00"),
    "sage/audit_trail_2025Q1.csv": (42 + 57, "0.00"),  # lines and their double-entry other sides: they balance
}
# The Venmo fragment leaves the description open; this is the mapping a user picks.
VENMO_MAPPING = ColumnMapping(date_column=2, date_format="ISO 8601 date-time", description_columns=(3, 7),
                              amount_column=8, status_column=4, has_header=False)


def fixture_file(bank_exports, sage_exports, name: str):
    folder = sage_exports if name.startswith("sage/") else bank_exports
    return folder / name.split("/", 1)[1]


def import_bytes(db, user, account, data: bytes, filename: str = "file", mapping=None) -> ImportBatch:
    parsed = parse_file(data, filename, "auto", mapping)
    batch = batches.import_parsed(db.session, Scope.of_user(user.id), Actor(user.id), account, parsed, filename, data,
                                  mapping=mapping)
    db.session.commit()
    return batch


def owner_rows(db, owner_id: int) -> tuple[int, Decimal]:
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Transaction.amount), 0)).where(Transaction.owner_id == owner_id)
    ).one()
    return count, Decimal(total)


def statement(*rows, **fields) -> ParsedStatement:
    """rows: (ISO date, amount, description[, external id])."""
    return ParsedStatement(transactions=[
        ParsedTransaction(date=date.fromisoformat(day), amount=Decimal(amount), description=text, line=number + 2,
                          external_id=rest[0] if rest else None)
        for number, (day, amount, text, *rest) in enumerate(rows)
    ], **fields)


def parsed(*rows, format="csv", **fields) -> ParsedFile:
    return ParsedFile(format=format, statements=[statement(*rows, **fields)])


def load(db, user, account, parsed_file: ParsedFile, data: bytes = b"data") -> ImportBatch:
    batch = batches.import_parsed(db.session, Scope.of_user(user.id), Actor(user.id), account, parsed_file,
                                  "statement.csv", data)
    db.session.commit()
    return batch


def test_the_expectations_name_every_shared_export(bank_exports, sage_exports):
    """A file added to ../shared/fixtures is not left out of the exactness check below."""
    shared = {f"{folder.name}/{path.relative_to(folder)}" for folder in (bank_exports, sage_exports)
              for path in folder.rglob("*") if path.is_file() and path.suffix.lower() != ".md"}

    assert shared == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_fixture_imports_exactly_once(db, user, bank_exports, sage_exports, name):
    data = fixture_file(bank_exports, sage_exports, name).read_bytes()
    mapping = VENMO_MAPPING if name.endswith("multi-line-field.csv") else None
    account = factories.create_account(db.session, user, "Imported")
    count, total = EXPECTED[name]

    first = import_bytes(db, user, account, data, name.rsplit("/", 1)[1], mapping)
    second = import_bytes(db, user, account, data, name.rsplit("/", 1)[1], mapping)

    assert owner_rows(db, user.id) == (count, Decimal(total))
    assert (first.rows_read, first.rows_inserted, first.rows_duplicate) == (count, count, 0)
    assert (second.rows_read, second.rows_inserted, second.rows_duplicate) == (count, 0, count)
    assert verify_totals(db.session) == []


def test_an_ambiguous_csv_imports_with_the_mapping_the_user_chose(db, user, bank_exports):
    data = (bank_exports / "csv" / "multi-line-field.csv").read_bytes()
    account = factories.create_account(db.session, user, "Venmo", currency="USD")
    with pytest.raises(MappingNeeded):
        parse_file(data, "venmo.csv")

    batch = import_bytes(db, user, account, data, "venmo.csv", VENMO_MAPPING)

    assert owner_rows(db, user.id) == (1, Decimal("-21.59"))
    assert batch.rows_inserted == 1
    assert account.csv_mapping == VENMO_MAPPING.to_dict()
    again, used = services.parse_upload(data, "venmo.csv", saved_mapping=account.csv_mapping)
    assert used == VENMO_MAPPING and len(again.transactions) == 1


def test_statement_balances_update_the_account(db, user, bank_exports):
    account = factories.create_account(db.session, user, "Current", currency="CAD")
    import_bytes(db, user, account, (bank_exports / "ofx1-sgml" / "bank_medium.ofx").read_bytes(), "bank.ofx")
    assert (account.ledger_balance, account.available_balance) == (Decimal("382.34"), Decimal("682.34"))
    assert account.balance_as_of == datetime(2009, 5, 23, 12, 20, 17)

    # An older statement's balances do not replace newer ones.
    import_bytes(db, user, account, (bank_exports / "ofx2-xml" / "stmtrs.ofx").read_bytes(), "old.ofx")
    assert account.ledger_balance == Decimal("382.34")
    assert account.balance_as_of == datetime(2009, 5, 23, 12, 20, 17)


def test_two_statements_for_one_account_end_on_the_last_closing_balance(db, user, bank_exports):
    account = factories.create_account(db.session, user, "Euro", currency="EUR")
    import_bytes(db, user, account, (bank_exports / "camt053" / "camt053.v2.multi.statement.xml").read_bytes())
    assert db.session.scalar(select(func.count()).select_from(Account)) == 1
    assert account.ledger_balance == Decimal("20.00")


def test_two_identical_rows_in_one_file_are_two_transactions(db, user):
    account = factories.create_account(db.session, user)
    coffees = parsed(("2025-01-05", "-3.50", "Coffee"), ("2025-01-05", "-3.50", "Coffee"))

    assert load(db, user, account, coffees).rows_inserted == 2
    assert load(db, user, account, coffees).rows_inserted == 0
    assert owner_rows(db, user.id) == (2, Decimal("-7.00"))


def test_an_overlapping_export_adds_only_its_new_rows(db, user):
    account = factories.create_account(db.session, user)
    load(db, user, account, parsed(
        ("2025-01-05", "-3.50", "Coffee"), ("2025-01-05", "-3.50", "Coffee"), ("2025-01-06", "-20.00", "Books")))
    later = load(db, user, account, parsed(
        ("2025-01-05", "-3.50", "  COFFEE "), ("2025-01-05", "-3.50", "coffee"), ("2025-01-05", "-3.50", "Coffee"),
        ("2025-01-06", "-20.0", "Books"), ("2025-01-07", "1000.00", "Salary")))

    assert (later.rows_read, later.rows_inserted, later.rows_duplicate) == (5, 2, 3)
    assert owner_rows(db, user.id) == (5, Decimal("969.50"))


def test_source_ids_decide_identity_and_never_collide_across_sources(db, user):
    account = factories.create_account(db.session, user)
    load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee", "T1"), format="ofx"))
    # The bank corrected the text: same FITID, same transaction.
    assert load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee shop", "T1"), format="ofx")).rows_inserted == 0
    # The same id from another source is another transaction.
    assert load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee", "T1"), format="qif")).rows_inserted == 1
    # A bank that repeats an id inside one file loses no row.
    assert load(db, user, account, parsed(("2025-02-01", "-1", "A", "X"), ("2025-02-02", "-2", "B", "X"),
                                          format="ofx")).rows_inserted == 2
    assert owner_rows(db, user.id) == (4, Decimal("-10.00"))


def test_currency_comes_from_the_row_then_the_statement_then_the_account(db, user):
    account = factories.create_account(db.session, user, currency="GBP")
    file = ParsedFile(format="csv", statements=[
        statement(("2025-01-01", "1", "a"), currency="EUR"), statement(("2025-01-02", "2", "b"))])
    file.statements[0].transactions.append(ParsedTransaction(date(2025, 1, 3), Decimal(3), "c", currency="usd"))
    load(db, user, account, file)
    currencies = dict(db.session.execute(select(Transaction.description, Transaction.currency)).all())
    assert currencies == {"a": "EUR", "b": "GBP", "c": "USD"}


def test_an_error_in_a_later_chunk_writes_nothing(db, user, monkeypatch):
    monkeypatch.setattr(batches, "CHUNK_ROWS", 2)
    account = factories.create_account(db.session, user)
    load(db, user, account, parsed(("2025-01-01", "5", "Existing")))
    bad = parsed(("2025-01-02", "1", "a"), ("2025-01-03", "2", "b"), ("2025-01-04", "0.00001", "too precise"))

    with pytest.raises(ImportFileError) as error:
        batches.import_parsed(db.session, Scope.of_user(user.id), Actor(user.id), account, bad, "bad.csv", b"bad")
    db.session.rollback()

    assert error.value.line == 4 and "decimal places" in error.value.reason
    assert owner_rows(db, user.id) == (1, Decimal("5"))
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1
    assert verify_totals(db.session) == []


def test_a_bad_file_is_refused_with_its_line(bank_exports):
    data = (bank_exports / "qif" / "data-with-categories.qif").read_bytes().replace(b"D12/19/18", b"D13/45/18", 1)
    with pytest.raises(ImportFileError) as error:
        parse_file(data, "broken.qif")
    assert error.value.line is not None and error.value.line >= 1


def test_concurrent_imports_of_one_file_never_duplicate(committed, app, db, user):
    account_id, owner_id = factories.create_account(db.session, user).id, user.id  # no shared ORM objects in threads
    db.session.commit()
    rows = [(f"2025-01-{day:02d}", f"-{day}.25", f"Shop {day}") for day in range(1, 29)] * 50
    file = parsed(*rows)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run():
        try:
            with app.app_context(), Session(db.engine) as session:
                mine = session.get(Account, account_id)
                barrier.wait(timeout=10)
                batch = batches.import_parsed(session, Scope.of_user(owner_id), Actor(owner_id), mine, file, "same.csv",
                                              b"same")
                session.commit()
                results.append(batch.rows_inserted)
        except BaseException as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(results) == [0, len(rows)]
    assert owner_rows(db, owner_id)[0] == len(rows)
    assert verify_totals(db.session) == []


def test_an_import_computes_its_vectors_before_it_takes_the_audit_chain_lock(db, user):
    """The audit event's chain lock is held from the event to the commit, and every audited write (a login
    too) waits for it: an import gives its rows their similarity vectors first, so the lock waits on no more
    than the event and the commit."""
    account = factories.create_account(db.session, user)
    db.session.commit()
    statements: list[str] = []

    def seen(_connection, _cursor, statement, *_rest):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        load(db, user, account, parsed(*[(f"2025-03-{day:02d}", f"-{day}.10", f"Shop {day}") for day in range(1, 29)]))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)

    chain_read = next(number for number, sql in enumerate(statements) if "FROM audit_events" in sql)
    vector_statements = [number for number, sql in enumerate(statements) if "transaction_vectors" in sql]
    assert vector_statements and max(vector_statements) < chain_read
    assert db.session.scalar(select(func.count()).select_from(TransactionVector)) == 28


def test_large_imports_decide_duplicates_by_identity_whichever_way_they_write(db, user):
    """Large batches of rows an account holds none of are copied straight in (PostgreSQL); a batch the account
    already holds rows of, by date or by the source's own id, still skips exactly those."""
    account = factories.create_account(db.session, user)
    days = [date(2024, 1, 1) + timedelta(days=number // 3) for number in range(900)]
    first = [(day.isoformat(), f"-{number % 97 + 1}.25", f"Shop {number}") for number, day in enumerate(days[:600])]
    overlapping = first[300:] + [(day.isoformat(), "-1.00", f"Later {number}") for number, day in enumerate(days[600:])]

    assert load(db, user, account, parsed(*first)).rows_inserted == 600
    later = load(db, user, account, parsed(*overlapping))
    assert (later.rows_read, later.rows_inserted, later.rows_duplicate) == (600, 300, 300)

    with_ids = [(day.isoformat(), "-2.00", f"Card {number}", f"FIT{number}") for number, day in enumerate(days[:600])]
    assert load(db, user, account, parsed(*with_ids, format="ofx")).rows_inserted == 600
    moved = [(date(2030, 1, 1).isoformat(), amount, text, fitid) for _day, amount, text, fitid in with_ids]
    assert load(db, user, account, parsed(*moved, format="ofx")).rows_inserted == 0  # the bank re-dated them
    assert owner_rows(db, user.id)[0] == 1500
    assert verify_totals(db.session) == []


def test_a_large_file_whose_chunks_meet_within_a_day_is_copied_straight_in(db, user, monkeypatch):
    """A date-ordered file's chunk ends part-way through a day, so the next chunk starts on a day the account
    already holds rows of: those rows' ids are looked up, and every chunk still goes straight in (PostgreSQL)
    rather than through the scratch table; the same file again adds nothing."""
    monkeypatch.setattr(batches, "CHUNK_ROWS", 800)
    account = factories.create_account(db.session, user)
    rows = [((date(2024, 1, 1) + timedelta(days=number // 7)).isoformat(), f"-{number % 89 + 1}.10",
             f"Shop {number}") for number in range(1_600)]
    statements: list[str] = []

    def seen(_connection, _cursor, statement, *_rest):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        first = load(db, user, account, parsed(*rows))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    if db.engine.dialect.name == "postgresql":
        assert len([s for s in statements if "pg_advisory_xact_lock(%(key)s" in s]) == 2  # a chunk each
        assert not [s for s in statements if "transaction_load" in s]
    again = load(db, user, account, parsed(*rows))
    assert (first.rows_inserted, again.rows_inserted, again.rows_duplicate) == (1_600, 0, 1_600)
    assert owner_rows(db, user.id) == (1_600, -sum(Decimal(f"{number % 89 + 1}.10") for number in range(1_600)))
    assert verify_totals(db.session) == []

