"""Every real export in tests/fixtures/real/ imports exactly as the file states, once, on both engines.

``manifest.tsv`` holds what each file itself states (worked out from the
file, see SOURCES.md): rows, their sum, first and last date, the closing
balance, and the date order or column mapping a user gives where the file
leaves one open. "refused: ..." and "asks: ..." rows are files we do not
import, with the reason the user is shown.
"""
from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.importers import services
from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded
from dashboard.importers.records import ImportFileError
from dashboard.importers.undo import undo_batch
from dashboard.models import ImportBatch, Transaction
from dashboard.models.accounts import TransactionStatus
from tests import factories

REAL = Path(__file__).parent / "fixtures" / "real"
MANIFEST = list(csv.DictReader((REAL / "manifest.tsv").open(encoding="utf-8"), delimiter="\t"))


def given(value: str) -> str | None:
    return None if value == "-" else value


def test_the_manifest_lists_every_file_and_the_issue_asks_for_forty_from_ten_projects():
    files = {str(p.relative_to(REAL)) for p in REAL.rglob("*") if p.is_file() and p.parent != REAL}
    imported = [row for row in MANIFEST if row["outcome"] == "imports"]

    assert files == {row["file"] for row in MANIFEST}
    assert len(imported) >= 40
    assert len({row["file"].split("/")[1].split("-")[0] for row in imported}) >= 10
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    assert all(Path(row["file"]).name in sources for row in MANIFEST)


@pytest.mark.parametrize("row", MANIFEST, ids=[row["file"] for row in MANIFEST])
def test_a_real_file_imports_exactly_once(db, user, row):
    path = REAL / row["file"]
    data = path.read_bytes()
    account = factories.create_account(db.session, user, "Imported", currency=row["currency"])
    mapping = ColumnMapping.from_dict(json.loads(row["mapping"])) if given(row["mapping"]) else None

    def load():
        return services.import_file(db.session, Scope.of_user(user.id), Actor(user.id), data, path.name,
                                    account=account, mapping=mapping, date_order=given(row["date_order"]))

    if row["outcome"] != "imports":
        expected = MappingNeeded if row["outcome"].startswith("asks") else ImportFileError
        with pytest.raises(expected, match=f"(?i){row['outcome'].split(': ', 1)[1]}"):
            load()
        assert db.session.scalar(select(func.count()).select_from(ImportBatch).where(ImportBatch.owner_id == user.id)) == 0
        assert db.session.scalar(select(func.count()).where(Transaction.owner_id == user.id)) == 0  # nothing written
        return
    first, second = load(), load()
    count, total, earliest, latest = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Transaction.amount), 0), func.min(Transaction.date),
               func.max(Transaction.date)).where(Transaction.owner_id == user.id)  # a multi-account file fills further accounts
    ).one()

    assert (count, Decimal(total)) == (int(row["count"]), Decimal(row["sum"]))
    if count:
        assert (earliest, latest) == (date.fromisoformat(row["first"]), date.fromisoformat(row["last"]))
    if given(row["balance"]):
        assert account.ledger_balance == Decimal(row["balance"])
    assert (first.rows_read, first.rows_inserted, second.rows_inserted) == (count, count, 0)

    for batch in (second, first):  # undone newest first, as a user would
        undo_batch(db.session, Scope.of_user(user.id), Actor(user.id), batch)
    db.session.flush()
    db.session.refresh(account)
    assert db.session.scalar(select(func.count()).where(Transaction.owner_id == user.id)) == 0
    assert account.ledger_balance is None  # the balance it had before the file: none


@pytest.mark.parametrize(("name", "pending"), [
    ("csv/rechnungspilot-sparkasse-lzo-camt-v2.csv", 3),  # "Umsatz vorgemerkt" in the Info column
    ("csv/rechnungspilot-sparkasse-lzo-mt940.csv", 3),
    ("csv/rechnungspilot-paypal.csv", 2),  # Status "Ausstehend"
    ("csv/rechnungspilot-dkb.csv", 0),  # Status "Gebucht"
])
def test_pending_rows_of_real_files_import_as_pending(db, user, name, pending):
    account = factories.create_account(db.session, user, "Imported", currency="EUR")
    services.import_file(db.session, Scope.of_user(user.id), Actor(user.id), (REAL / name).read_bytes(),
                         Path(name).name, account=account)
    statuses = db.session.scalars(select(Transaction.status).where(Transaction.account_id == account.id)).all()

    assert statuses.count(TransactionStatus.PENDING) == pending


def test_a_currency_named_in_a_real_header_is_refused_in_an_account_in_another(db, user):
    """DKB's `Betrag (€)` states euros: a US-dollar account gets the choice, not a silent mix."""
    account = factories.create_account(db.session, user, "Checking", currency="USD")
    preview, _ = services.preview_file(db.session, Scope.of_user(user.id), account,
                                       (REAL / "csv/rechnungspilot-dkb.csv").read_bytes(), "dkb.csv")

    assert preview.foreign_currencies == ["EUR"]
    assert "The file states EUR but Checking is in USD" in preview.refusal
