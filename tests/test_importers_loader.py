"""The loader: identity, de-duplication, atomicity, balances, several accounts per file, undo."""
from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.importers import loader
from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded
from dashboard.importers.detect import parse_file
from dashboard.importers.records import ImportFileError, ParsedFile, ParsedStatement, ParsedTransaction
from dashboard.ledger import verify_totals
from dashboard.models import Account, AuditEvent, ImportBatch, Transaction
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
    "sage/audit_trail_2025Q1.csv": (42, "-17355.70"),
}
# The Venmo fragment leaves the description open; this is the mapping a user picks.
VENMO_MAPPING = ColumnMapping(date_column=2, date_format="ISO 8601 date-time", description_columns=(3, 7),
                              amount_column=8, status_column=4, has_header=False)


def fixture_file(bank_exports, sage_exports, name: str):
    folder = sage_exports if name.startswith("sage/") else bank_exports
    return folder / name.split("/", 1)[1]


def import_bytes(db, user, account, data: bytes, filename: str = "file", mapping=None) -> ImportBatch:
    parsed = parse_file(data, filename, "auto", mapping)
    batch = loader.import_parsed(db.session, user.id, account, parsed, filename, data, mapping=mapping)
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
    batch = loader.import_parsed(db.session, user.id, account, parsed_file, "statement.csv", data)
    db.session.commit()
    return batch


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
    again, used = loader.parse_upload(data, "venmo.csv", saved_mapping=account.csv_mapping)
    assert used == VENMO_MAPPING and len(again.transactions) == 1


def test_a_saved_mapping_that_does_not_fit_asks_again(bank_exports):
    data = (bank_exports / "csv" / "multi-line-field.csv").read_bytes()
    wrong = ColumnMapping(date_column=0, date_format="DD/MM/YYYY", amount_column=1).to_dict()
    with pytest.raises(MappingNeeded):
        loader.parse_upload(data, "venmo.csv", saved_mapping=wrong)


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


def test_a_file_with_three_accounts_fills_the_chosen_one_and_two_more(db, user, bank_exports):
    data = (bank_exports / "ofx1-sgml" / "example.qbo").read_bytes()
    account = factories.create_account(db.session, user, "Business", currency="CAD")

    batch = import_bytes(db, user, account, data, "example.qbo")
    again = import_bytes(db, user, account, data, "example.qbo")

    accounts = db.session.execute(
        select(Account.name, Account.external_id, Account.ledger_balance, func.count(Transaction.id),
               func.sum(Transaction.amount))
        .join(Transaction, Transaction.account_id == Account.id).group_by(Account.id).order_by(Account.id)
    ).all()
    assert [tuple(row) for row in accounts] == [
        ("Business", "011016298027", Decimal("368.62"), 10, Decimal("-120.48")),
        ("Business ···9041", "122384459041", Decimal("2468.87"), 4, Decimal("-437.82")),
        ("Business ···6684", "2542393734236684", Decimal("0.00"), 9, Decimal("-133.51")),
    ]
    assert (batch.rows_inserted, again.rows_inserted, again.rows_duplicate) == (23, 0, 23)

    loader.undo_batch(db.session, user.id, batch.id)
    db.session.commit()
    assert owner_rows(db, user.id) == (0, Decimal(0))
    assert verify_totals(db.session) == []


def test_the_chosen_account_keeps_its_statement_whatever_the_order(db, user, bank_exports):
    data = (bank_exports / "ofx2-xml" / "multiple_accounts2.ofx").read_bytes()
    savings = factories.create_account(db.session, user, "Savings", currency="USD", external_id="9200")
    checking = factories.create_account(db.session, user, "Checking", currency="USD")

    preview = loader.preview_import(db.session, user.id, checking, parse_file(data))
    assert [(plan.name, plan.file_account_id) for plan in preview.accounts] == [
        ("Checking", "9100"), ("Savings", "9200")]
    import_bytes(db, user, checking, data)

    assert (checking.ledger_balance, savings.ledger_balance) == (Decimal("111"), Decimal("222"))
    assert checking.external_id == "9100"
    assert db.session.scalar(select(func.count()).select_from(Account)) == 2


def test_a_further_account_with_overlong_details_imports_and_is_found_again(db, user):
    """A file's account id, type and bank name longer than their columns (a QIF T line is free text)."""
    account = factories.create_account(db.session, user, "Everyday")
    long_id = "GB29 NWBK 6016 1331 9268 19 " * 6
    file = ParsedFile(format="qif", statements=[
        statement(("2025-01-05", "-3.50", "Coffee"), account_id="Everyday"),
        statement(("2025-01-06", "-20.00", "Books"), account_id=long_id, currency="gbp",
                  account_type="Other asset held in trust for the children", institution="National Bank " * 12),
    ])

    first = load(db, user, account, file)
    again = load(db, user, account, file, b"again")

    assert (first.rows_inserted, again.rows_inserted, again.rows_duplicate) == (2, 0, 2)
    further = db.session.scalars(select(Account).where(Account.id != account.id)).one()
    assert (further.name, further.last_four, further.currency) == ("Everyday ···6819", "6819", "GBP")
    assert further.type == "Other asset held in trust for th"
    assert owner_rows(db, user.id) == (2, Decimal("-23.50"))


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


def test_preview_counts_new_and_duplicates_and_writes_nothing(db, user):
    account = factories.create_account(db.session, user)
    load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee")), data=b"first")
    later = parsed(("2025-01-05", "-3.50", "Coffee"), ("2025-01-06", "-20.00", "Books"))

    preview = loader.preview_import(db.session, user.id, account, later, b"second")
    db.session.commit()

    assert (preview.read, preview.new, preview.duplicates) == (2, 1, 1)
    assert [(row.description, row.amount, row.is_new, row.line) for row in preview.rows] == [
        ("Coffee", Decimal("-3.50"), False, 2), ("Books", Decimal("-20.00"), True, 3)]
    assert preview.previous_import is None
    assert owner_rows(db, user.id) == (1, Decimal("-3.50"))
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1
    assert loader.preview_import(db.session, user.id, account, later, b"first").previous_import is not None


def test_an_error_in_a_later_chunk_writes_nothing(db, user, monkeypatch):
    monkeypatch.setattr(loader, "CHUNK_ROWS", 2)
    account = factories.create_account(db.session, user)
    load(db, user, account, parsed(("2025-01-01", "5", "Existing")))
    bad = parsed(("2025-01-02", "1", "a"), ("2025-01-03", "2", "b"), ("2025-01-04", "0.00001", "too precise"))

    with pytest.raises(ImportFileError) as error:
        loader.import_parsed(db.session, user.id, account, bad, "bad.csv", b"bad")
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


def test_undo_removes_exactly_that_batch_and_is_audited(db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-12-31", "-9.99", "Typed in by hand")])
    first = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee"), ("2025-01-06", "-20.00", "Books")))
    second = load(db, user, account, parsed(("2025-01-06", "-20.00", "Books"), ("2025-01-07", "100", "Refund")))

    assert loader.undo_batch(db.session, user.id, second.id, remote_addr="203.0.113.9") == 1
    db.session.commit()

    assert sorted(db.session.scalars(select(Transaction.description))) == ["Books", "Coffee", "Typed in by hand"]
    assert second.undone_at is not None and first.undone_at is None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import.undo")).one()
    assert (event.actor_id, event.target, event.details["removed"], event.remote_addr) == (
        user.id, f"import_batch:{second.id}", 1, "203.0.113.9")
    assert verify_totals(db.session) == []
    with pytest.raises(loader.BatchAlreadyUndone):
        loader.undo_batch(db.session, user.id, second.id)


def test_nobody_undoes_another_users_import(db, user):
    account = factories.create_account(db.session, user)
    batch = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee")))
    mallory = factories.create_user(db.session, "mallory@example.com")
    with pytest.raises(loader.BatchNotFound):
        loader.undo_batch(db.session, mallory.id, batch.id)
    with pytest.raises(PermissionError):
        loader.import_parsed(db.session, mallory.id, account, parsed(("2025-01-05", "1", "x")), "x", b"x")
    assert owner_rows(db, user.id) == (1, Decimal("-3.50"))


def test_account_batches_lists_the_accounts_imports_newest_first(db, user):
    account = factories.create_account(db.session, user)
    other = factories.create_account(db.session, user, "Savings")
    first = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee")))
    load(db, user, other, parsed(("2025-01-05", "1", "Interest")))
    second = load(db, user, account, parsed(("2025-01-06", "-3.50", "Coffee")))
    assert [b.id for b in loader.account_batches(db.session, user.id, account.id)] == [second.id, first.id]


def test_account_for_import_creates_the_account_once(db, user, bank_exports):
    file = parse_file((bank_exports / "ofx1-sgml" / "bank_medium.ofx").read_bytes())
    created = loader.account_for_import(db.session, user.id, "Everyday", file)
    db.session.commit()
    assert (created.name, created.currency, created.type) == ("Everyday", "CAD", "checking")
    assert loader.account_for_import(db.session, user.id, "Everyday", file).id == created.id


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
                batch = loader.import_parsed(session, owner_id, mine, file, "same.csv", b"same")
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
