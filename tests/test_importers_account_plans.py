"""Where each statement of a file goes: the chosen account, the owner's others, or new ones."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.importers import account_plans, undo
from dashboard.importers.detect import parse_file
from dashboard.importers.preview import preview_import
from dashboard.importers.records import ParsedFile
from dashboard.ledger import verify_totals
from dashboard.models import Account, Transaction
from tests import factories
from tests.test_importers_batches import import_bytes, load, owner_rows, statement


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

    undo.undo_batch(db.session, Scope.of_user(user.id), Actor(user.id), batch)
    db.session.commit()
    assert owner_rows(db, user.id) == (0, Decimal(0))
    assert verify_totals(db.session) == []


def test_the_chosen_account_keeps_its_statement_whatever_the_order(db, user, bank_exports):
    data = (bank_exports / "ofx2-xml" / "multiple_accounts2.ofx").read_bytes()
    savings = factories.create_account(db.session, user, "Savings", currency="USD", external_id="9200")
    checking = factories.create_account(db.session, user, "Checking", currency="USD")

    preview = preview_import(db.session, Scope.of_user(user.id), checking, parse_file(data))
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


def test_account_for_import_creates_the_account_once(db, user, bank_exports):
    file = parse_file((bank_exports / "ofx1-sgml" / "bank_medium.ofx").read_bytes())
    created = account_plans.account_for_import(db.session, Scope.of_user(user.id), "Everyday", file)
    db.session.commit()
    assert (created.name, created.currency, created.type) == ("Everyday", "CAD", "checking")
    assert account_plans.account_for_import(db.session, Scope.of_user(user.id), "Everyday", file).id == created.id
