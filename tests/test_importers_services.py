"""The one import path: the pages and the CLI import through import_file alike; the scope decides who may."""
from __future__ import annotations


import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden, NotFound

from dashboard.access import Need, Scope
from dashboard.audit import Actor
from dashboard.importers import services
from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded
from dashboard.importers.records import ImportFileError
from dashboard.models import Account, AuditEvent, ImportBatch, Transaction
from tests import factories
from tests.test_accounts_import import confirm_from, upload
from tests.test_cli_import import QIF_JANUARY


def written(db) -> tuple[int, int, int]:
    """Transactions, import batches and audit events: what an import writes."""
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Transaction, ImportBatch, AuditEvent))


def batch_and_rows(db, batch: ImportBatch) -> tuple:
    """What a user sees of one import: its counts, and its rows with their identity."""
    rows = db.session.execute(
        select(Transaction.external_id, Transaction.date, Transaction.description, Transaction.amount,
               Transaction.currency, Transaction.account_id)
        .where(Transaction.batch_id == batch.id).order_by(Transaction.external_id)
    ).all()
    return (batch.account_id, batch.filename, batch.format, batch.content_hash, batch.rows_read,
            batch.rows_inserted, batch.rows_duplicate), [tuple(row) for row in rows]


def test_the_page_and_the_cli_import_one_file_alike_through_import_file(auth_client, runner, db, user,
                                                                        monkeypatch, tmp_path):
    calls = []
    real = services.import_file

    def recording(session, scope, actor, data, filename, **options):
        calls.append((scope, actor.user_id, filename))
        return real(session, scope, actor, data, filename, **options)

    monkeypatch.setattr(services, "import_file", recording)
    account = factories.create_account(db.session, user, "Everyday")
    path = tmp_path / "january.qif"
    path.write_bytes(QIF_JANUARY)

    confirm_from(auth_client, account, upload(auth_client, account, QIF_JANUARY, "january.qif").get_data(as_text=True))
    from_page = db.session.scalars(select(ImportBatch)).one()
    page_import = batch_and_rows(db, from_page)
    auth_client.post(f"/accounts/{account.id}/imports/{from_page.id}/undo")
    result = runner.invoke(args=["import", str(path), "--user", user.email, "--account", "Everyday"])
    from_cli = db.session.scalars(select(ImportBatch).where(ImportBatch.id != from_page.id)).one()

    assert result.exit_code == 0, result.output
    assert batch_and_rows(db, from_cli) == page_import
    assert page_import[0][4:] == (3, 3, 0) and len(page_import[1]) == 3
    assert calls == [(Scope.of_user(user.id), user.id, "january.qif"), (Scope.of_user(user.id), None, "january.qif")]
    actors = db.session.scalars(select(AuditEvent.actor_id).where(AuditEvent.action == "import.create")
                                .order_by(AuditEvent.id)).all()
    assert actors == [user.id, None]  # the person at the page; the CLI as the system, on the user's behalf


def test_import_file_commits_the_batch_and_the_account_it_creates(db, user):
    batch = services.import_file(db.session, Scope.of_user(user.id), Actor.system(), QIF_JANUARY, "january.qif",
                                 account_name="Everyday", default_currency="EUR")
    db.session.rollback()  # nothing is left to roll back: it was committed

    account = db.session.scalars(select(Account)).one()
    assert (account.name, account.owner_id, account.currency) == ("Everyday", user.id, "EUR")
    assert (batch.account_id, batch.rows_inserted) == (account.id, 3)
    assert written(db) == (3, 1, 1)


def test_importing_into_another_users_account_is_not_found_and_writes_nothing(db, user):
    mallory = factories.create_user(db.session, "mallory@example.com")
    theirs = factories.create_account(db.session, user, "Everyday")

    with pytest.raises(NotFound):
        services.import_file(db.session, Scope.of_user(mallory.id), Actor(mallory.id), QIF_JANUARY, "january.qif",
                             account=theirs)
    with pytest.raises(NotFound):
        services.preview_file(db.session, Scope.of_user(mallory.id), theirs, QIF_JANUARY, "january.qif")

    assert written(db) == (0, 0, 0)


def test_a_read_only_share_is_refused_and_writes_nothing(db, user):
    bob = factories.create_user(db.session, "bob@example.com")
    alices = factories.create_account(db.session, user, "Everyday")
    reader = Scope.of_user(bob.id, shared={alices.id: Need.READ})

    with pytest.raises(Forbidden):
        services.import_file(db.session, reader, Actor(bob.id), QIF_JANUARY, "january.qif", account=alices)
    with pytest.raises(Forbidden):
        services.preview_file(db.session, reader, alices, QIF_JANUARY, "january.qif")

    assert written(db) == (0, 0, 0)


def test_a_read_write_share_imports_into_the_owners_books_in_the_sharers_name(db, user):
    bob = factories.create_user(db.session, "bob@example.com")
    alices = factories.create_account(db.session, user, "Everyday")
    writer = Scope.of_user(bob.id, shared={alices.id: Need.WRITE})

    batch = services.import_file(db.session, writer, Actor(bob.id, "203.0.113.9"), QIF_JANUARY, "january.qif",
                                 account=alices)

    assert batch.owner_id == user.id
    assert set(db.session.scalars(select(Transaction.owner_id))) == {user.id}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import.create")).one()
    assert (event.actor_id, event.owner_id, event.remote_addr) == (bob.id, user.id, "203.0.113.9")


def test_a_bad_file_is_refused_with_its_line_and_creates_no_account(db, user):
    broken = QIF_JANUARY.replace(b"D01/06/2025", b"D13/45/2025")
    with pytest.raises(ImportFileError) as error:
        services.import_file(db.session, Scope.of_user(user.id), Actor.system(), broken, "broken.qif",
                             account_name="Everyday")
    assert error.value.line == 10
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0
    assert written(db) == (0, 0, 0)


def test_an_error_in_a_later_row_rolls_back_the_account_and_the_rows(db, user, monkeypatch):
    from dashboard.importers import batches

    monkeypatch.setattr(batches, "CHUNK_ROWS", 2)
    data = b"Date,Description,Amount\n2025-01-02,a,1\n2025-01-03,b,2\n2025-01-04,too precise,0.00001\n"
    with pytest.raises(ImportFileError) as error:
        services.import_file(db.session, Scope.of_user(user.id), Actor.system(), data, "bad.csv",
                             account_name="Everyday")
    assert error.value.line == 4 and "decimal places" in error.value.reason
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0
    assert written(db) == (0, 0, 0)


def test_the_saved_mapping_reads_the_next_file(db, user, bank_exports):
    data = (bank_exports / "csv" / "multi-line-field.csv").read_bytes()
    mapping = ColumnMapping(date_column=2, date_format="ISO 8601 date-time", description_columns=(3, 7),
                            amount_column=8, has_header=False)
    account = factories.create_account(db.session, user, "Venmo", currency="USD")
    scope = Scope.of_user(user.id)
    with pytest.raises(MappingNeeded):
        services.import_file(db.session, scope, Actor(user.id), data, "venmo.csv", account=account)

    services.import_file(db.session, scope, Actor(user.id), data, "venmo.csv", account=account, mapping=mapping)
    preview, used = services.preview_file(db.session, scope, account, data, "venmo.csv")

    assert used == mapping and (preview.read, preview.new) == (1, 0)
    with pytest.raises(MappingNeeded):  # the step where the user chooses the columns afresh
        services.preview_file(db.session, scope, account, data, "venmo.csv", saved_mapping=False)
    assert written(db)[:2] == (1, 1)


def test_a_saved_mapping_that_does_not_fit_asks_again(bank_exports):
    data = (bank_exports / "csv" / "multi-line-field.csv").read_bytes()
    wrong = ColumnMapping(date_column=0, date_format="DD/MM/YYYY", amount_column=1).to_dict()
    with pytest.raises(MappingNeeded):
        services.parse_upload(data, "venmo.csv", saved_mapping=wrong)


AMBIGUOUS_DATES = b"Date,Description,Amount\n02/03/2025,Rent,-500.00\n04/05/2025,Salary,2000.00\n"


def imported_dates(db, account: Account) -> list[str]:
    return [d.isoformat() for d in db.session.scalars(
        select(Transaction.date).where(Transaction.account_id == account.id).order_by(Transaction.date))]


@pytest.mark.parametrize(("preferences", "browser", "currency", "dates"), [
    ({}, None, "USD", ["2025-02-03", "2025-04-05"]),  # US dollars: month first
    ({}, None, "EUR", ["2025-03-02", "2025-05-04"]),  # any other currency: day first
    ({}, "en-GB", "USD", ["2025-03-02", "2025-05-04"]),  # the browser's locale before the currency
    ({"locale": "en_US"}, "en-GB", "EUR", ["2025-02-03", "2025-04-05"]),  # the user's locale before the browser's
    ({"locale": "sv_SE"}, None, "USD", ["2025-02-03", "2025-04-05"]),  # a year-first locale decides nothing
    ({"date_order": "dmy", "locale": "en_US"}, None, "USD", ["2025-03-02", "2025-05-04"]),  # the setting first
])
def test_without_a_setting_the_date_order_comes_from_the_locale_then_the_currency(db, user, preferences, browser,
                                                                                   currency, dates):
    user.preferences = preferences
    account = factories.create_account(db.session, user, "Imported", currency=currency)

    services.import_file(db.session, Scope.of_user(user.id), Actor(user.id), AMBIGUOUS_DATES, "bank.csv",
                         account=account, preferred_date_order=services.preferred_date_order(user, browser))

    assert imported_dates(db, account) == dates
    assert account.csv_mapping["date_format"] == ("MM/DD/YYYY" if dates[0] == "2025-02-03" else "DD/MM/YYYY")


def test_a_new_account_with_no_preference_still_asks_for_the_date_order(db, user):
    with pytest.raises(MappingNeeded, match="which is it"):
        services.import_file(db.session, Scope.of_user(user.id), Actor(user.id), AMBIGUOUS_DATES, "bank.csv",
                             account_name="New", preferred_date_order=services.preferred_date_order(user))
    assert written(db) == (0, 0, 0)


@pytest.mark.parametrize(("locale", "order"), [("en_US", "mdy"), ("en-GB", "dmy"), ("de_DE", "dmy"), ("pt_BR", "dmy"),
                                               ("ja_JP", None), ("xx-nonsense", None), (None, None)])
def test_a_locales_date_order(locale, order):
    assert services.locale_date_order(locale) == order
