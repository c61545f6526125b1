"""Reconciliation: every stated balance against opening balance + rows, on the page and from the CLI."""
import re
from datetime import date, datetime
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from dashboard.access import Scope
from dashboard.accounts.queries import account_summary
from dashboard.audit import Actor
from dashboard.balances import first_departures, reconciliation, record_stated_balance
from dashboard.importers import undo
from dashboard.models import Account, ImportBatch, StatedBalance, Transaction
from tests import factories
from tests.test_accounts_import import confirm_from, upload
from tests.test_importers_batches import load, parsed


def _reconcile(runner, *options):
    return runner.invoke(args=["reconcile", "--user", "alice@example.com", *options])


def test_an_ofx_import_agrees_with_its_stated_balance(runner, db, user, bank_exports):
    result = runner.invoke(args=["import", str(bank_exports / "ofx2-xml" / "stmtrs.ofx"), "--user", user.email,
                                 "--account", "Everyday"])
    assert result.exit_code == 0, result.output
    account = db.session.scalar(select(Account).where(Account.name == "Everyday"))
    summary = account_summary(db.session, Scope.of_user(user.id), account)
    assert summary.agrees and summary.balance == account.ledger_balance
    report = _reconcile(runner, "--account", "everyday")
    assert report.exit_code == 0, report.output
    lines = report.output.splitlines()
    assert lines[0] == "account,date,stated,computed,difference"
    assert lines[1].split(",")[4] == "0.00"


def test_a_difference_names_the_period_and_exits_1(runner, db, user):
    account = factories.create_account(db.session, user, "Everyday")
    factories.add_transactions(db.session, account, [("2025-01-10", "-10", "a"), ("2025-02-10", "-10", "b")])
    record_stated_balance(db.session, account, datetime(2025, 1, 31), Decimal("-10"), None)
    record_stated_balance(db.session, account, datetime(2025, 2, 28), Decimal("-25"), None)
    db.session.commit()
    result = _reconcile(runner)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1:] == ["Everyday,2025-01-31,-10.00,-10.00,0.00",
                                              "Everyday,2025-02-28,-25.00,-20.00,-5.00"]
    assert "arises after 2025-01-31 up to 2025-02-28" in result.stderr


def test_undo_restores_the_stated_balance_and_opening_it_replaced(db, user):
    account = factories.create_account(db.session, user, "Everyday")
    first = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee"), ledger_balance=Decimal("96.50"),
                                           balance_as_of=datetime(2025, 1, 31)))
    assert (account.opening_balance, account.ledger_balance) == (Decimal("100.00"), Decimal("96.50"))
    second = load(db, user, account, parsed(("2025-02-05", "-6.50", "Lunch"), ledger_balance=Decimal("90.00"),
                                            balance_as_of=datetime(2025, 2, 28)), data=b"other")
    assert account.ledger_balance == Decimal("90.00")
    undo.undo_batch(db.session, Scope.of_user(user.id), Actor(user.id), second)
    assert (account.ledger_balance, account.balance_as_of) == (Decimal("96.50"), datetime(2025, 1, 31))
    undo.undo_batch(db.session, Scope.of_user(user.id), Actor(user.id), first)
    assert (account.ledger_balance, account.opening_balance) == (None, Decimal(0))
    assert db.session.scalar(select(ImportBatch.undone_at).where(ImportBatch.id == first.id)) is not None


def test_the_page_shows_each_check_and_marks_a_period_reconciled(auth_client, db, user):
    account = factories.create_account(db.session, user, "Everyday")
    factories.add_transactions(db.session, account, [("2025-01-10", "-10", "a")])
    stated = record_stated_balance(db.session, account, datetime(2025, 1, 31), Decimal("-10"), None)
    db.session.commit()
    page = auth_client.get(f"/accounts/{account.id}/reconcile").get_data(as_text=True)
    assert "Every stated balance agrees" in page and "Mark reconciled" in page
    auth_client.post(f"/accounts/{account.id}/reconcile", data={"stated": stated.id})
    db.session.expire_all()
    page = auth_client.get(f"/accounts/{account.id}/reconcile").get_data(as_text=True)
    assert "Mark reconciled" not in page


def _import(runner, path, account="Everyday"):
    return runner.invoke(args=["import", str(path), "--user", "alice@example.com", "--account", account])


OLDEST_FIRST = """Date,Description,Amount,Balance
2025-01-02,Salary,1000.00,1100.00
2025-01-03,Coffee,-3.50,1096.50
2025-01-03,Lunch,-12.00,1084.50
2025-01-04,Rent,-500.00,584.50
2025-01-05,Books,-20.00,564.50
"""


def test_a_csv_balance_column_is_kept_per_row_and_agrees(runner, db, user, tmp_path):
    path = tmp_path / "statement.csv"
    path.write_text(OLDEST_FIRST)
    assert _import(runner, path).exit_code == 0
    rows = db.session.execute(select(Transaction.description, Transaction.stated_balance)
                              .order_by(Transaction.date, Transaction.id)).all()
    assert [(d, str(b)) for d, b in rows] == [("Salary", "1100.00"), ("Coffee", "1096.50"), ("Lunch", "1084.50"),
                                              ("Rent", "584.50"), ("Books", "564.50")]
    account = db.session.scalar(select(Account).where(Account.name == "Everyday"))
    assert account.opening_balance == Decimal("100.00")
    assert first_departures(db.session, Scope.of_user(user.id)) == []
    assert _reconcile(runner).exit_code == 0


def test_rows_of_one_day_in_either_order_agree(runner, db, user, tmp_path):
    """A newest-first file: the day's rows are stored in the file's order, the reverse of the balances' order."""
    lines = OLDEST_FIRST.splitlines()
    path = tmp_path / "newest-first.csv"
    path.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    assert _import(runner, path).exit_code == 0
    result = _reconcile(runner)
    assert result.exit_code == 0, result.output
    assert first_departures(db.session, Scope.of_user(user.id)) == []


def test_the_first_row_where_the_running_balance_departs_is_named(runner, db, user, tmp_path):
    factories.create_account(db.session, user, "Everyday", opening_balance=Decimal("100.00"),
                             opening_date=date(2025, 1, 1))
    db.session.commit()
    path = tmp_path / "statement.csv"
    path.write_text(OLDEST_FIRST.replace("2025-01-03,Coffee,-3.50,1096.50\n", ""))  # a row the export lost
    assert _import(runner, path).exit_code == 0
    (departure,) = first_departures(db.session, Scope.of_user(user.id))
    assert (departure.description, departure.date.isoformat(), departure.stated, departure.computed) == (
        "Lunch", "2025-01-03", Decimal("1084.50"), Decimal("1088.00"))
    result = _reconcile(runner)
    assert result.exit_code == 1
    assert ("Everyday: the running balance first departs after the row of 2025-01-03 'Lunch' -12.00: "
            "the source says 1084.50, the rows add up to 1088.00") in result.stderr


def test_the_page_names_the_departing_row(auth_client, runner, db, user, tmp_path):
    path = tmp_path / "statement.csv"
    path.write_text(OLDEST_FIRST.replace("1084.50", "1080.50"))
    assert _import(runner, path).exit_code == 0
    account = db.session.scalar(select(Account).where(Account.name == "Everyday"))
    page = auth_client.get(f"/accounts/{account.id}/reconcile").get_data(as_text=True)
    assert 'id="reconcile-departure"' in page and "Lunch" in page and "Every stated balance agrees" not in page


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.05{kind}.001.02">
<{root}><GrpHdr><MsgId>1</MsgId><CreDtTm>2025-01-31T10:00:00</CreDtTm></GrpHdr>
<{element}><Id>S1</Id><CreDtTm>2025-01-31T10:00:00</CreDtTm>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>{opening}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">250.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<Dt><Dt>2025-01-02</Dt></Dt></Bal>
{closing}
<Ntry><Amt Ccy="EUR">40.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-01-02</Dt></BookgDt>
<AcctSvcrRef>R1</AcctSvcrRef><AddtlNtryInf>Groceries</AddtlNtryInf></Ntry>
<Ntry><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-01-20</Dt></BookgDt>
<AcctSvcrRef>R2</AcctSvcrRef><AddtlNtryInf>Refund</AddtlNtryInf></Ntry>
</{element}></{root}></Document>
"""
CLOSING = """<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">220.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-01-31</Dt></Dt></Bal>"""


@pytest.mark.parametrize("kind, root, element, opening", [
    ("3", "BkToCstmrStmt", "Stmt", "OPBD"), ("2", "BkToCstmrAcctRpt", "Rpt", "PRCD")])
def test_a_camt_opening_balance_opens_the_account_it_creates(runner, db, user, tmp_path, kind, root, element,
                                                             opening):
    path = tmp_path / "statement.xml"
    path.write_text(CAMT.format(kind=kind, root=root, element=element, opening=opening, closing=""))
    assert _import(runner, path, "Girokonto").exit_code == 0
    account = db.session.scalar(select(Account).where(Account.name == "Girokonto"))
    assert (account.opening_balance, account.opening_date) == (Decimal("250.00"), date(2025, 1, 2))
    stated = db.session.scalars(select(StatedBalance).where(StatedBalance.account_id == account.id)).all()
    assert [(s.date, s.amount, s.opening, s.gave_opening) for s in stated] == [
        (date(2025, 1, 1), Decimal("250.00"), True, True)]
    assert account.ledger_balance is None  # an opening balance is not what the account holds now
    assert _reconcile(runner).stdout.splitlines()[1:] == ["Girokonto,2025-01-01,250.00,250.00,0.00"]


def test_opening_and_closing_balances_both_reconcile(runner, db, user, tmp_path):
    path = tmp_path / "statement.xml"
    path.write_text(CAMT.format(kind="3", root="BkToCstmrStmt", element="Stmt", opening="OPBD", closing=CLOSING))
    assert _import(runner, path, "Girokonto").exit_code == 0
    account = db.session.scalar(select(Account).where(Account.name == "Girokonto"))
    assert (account.opening_balance, account.ledger_balance) == (Decimal("250.00"), Decimal("220.00"))
    result = _reconcile(runner)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == ["Girokonto,2025-01-01,250.00,250.00,0.00",
                                              "Girokonto,2025-01-31,220.00,220.00,0.00"]
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.account_id == account.id))
    undo.undo_batch(db.session, Scope.of_user(user.id), Actor(user.id), batch)
    assert (account.opening_balance, account.ledger_balance) == (Decimal(0), None)
    assert db.session.scalar(select(StatedBalance.id).where(StatedBalance.account_id == account.id)) is None


def test_a_brought_forward_row_opens_the_account_and_a_preamble_states_its_balance(runner, db, user, tmp_path):
    brought = tmp_path / "brought.csv"
    brought.write_text("Date,Description,Amount,Balance\n2025-01-01,Balance brought forward,,100.00\n"
                       + "\n".join(OLDEST_FIRST.splitlines()[1:3]) + "\n")
    assert _import(runner, brought).exit_code == 0
    account = db.session.scalar(select(Account).where(Account.name == "Everyday"))
    assert (account.opening_balance, account.opening_date) == (Decimal("100.00"), date(2025, 1, 2))
    assert (account.ledger_balance, account.balance_as_of) == (Decimal("1096.50"), datetime(2025, 1, 3))
    german = tmp_path / "umsaetze.csv"
    german.write_bytes("Konto;Girokonto\nKontostand:;1.234,56 EUR\n\nBuchungstag;Verwendungszweck;Betrag\n"
                       "01.02.2025;Miete;-500,00\n03.02.2025;Gehalt;1.734,56\n".encode())
    assert _import(runner, german, "Girokonto").exit_code == 0
    giro = db.session.scalar(select(Account).where(Account.name == "Girokonto"))
    assert (giro.ledger_balance, giro.balance_as_of, giro.opening_balance) == (
        Decimal("1234.56"), datetime(2025, 2, 3), Decimal(0))
    assert _reconcile(runner).exit_code == 0


def test_a_newest_first_file_of_one_day_closes_at_its_first_rows_balance(runner, db, user):
    """Every row on one day, newest first: the running balances, not the dates, say which row is last."""
    real = Path(__file__).parent / "fixtures" / "real" / "csv" / "reckon-german_date_example.csv"
    assert _import(runner, real).exit_code == 0
    account = db.session.scalar(select(Account).where(Account.name == "Everyday"))
    assert (account.ledger_balance, account.opening_balance) == (Decimal("1750.06"), Decimal("2298.57"))
    result = _reconcile(runner)
    assert result.exit_code == 0, result.output


def _text(page: str) -> str:
    """The page as read: every tag a space, so an amount's own span stands apart from a bracket."""
    return " ".join(re.sub(r"<[^>]+>", " ", unescape(page)).split())


def test_undoing_an_import_from_the_page_says_and_restores_the_balance_it_replaced(auth_client, db, user):
    account = factories.create_account(db.session, user, "Everyday")
    load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee"), ledger_balance=Decimal("96.50"),
                                   balance_as_of=datetime(2025, 1, 31)))
    second = load(db, user, account, parsed(("2025-02-05", "-6.50", "Lunch"), ledger_balance=Decimal("90.00"),
                                            balance_as_of=datetime(2025, 2, 28)), data=b"other")
    assert "Ledger balance £90.00 agrees" in _text(auth_client.get(f"/accounts/{account.id}").get_data(as_text=True))

    ask = _text(auth_client.get(f"/accounts/{account.id}/imports/{second.id}/undo").get_data(as_text=True))
    assert "It forgets the balance the file stated ( £90.00 on 28 Feb 2025), so Everyday shows the stated " \
           "balance it had before." in ask
    auth_client.post(f"/accounts/{account.id}/imports/{second.id}/undo")

    page = _text(auth_client.get(f"/accounts/{account.id}").get_data(as_text=True))
    assert "Balance £96.50" in page and "Ledger balance £96.50 agrees" in page
    assert "As of 31 Jan 2025" in page


def test_undoing_the_import_that_opened_the_account_says_its_opening_goes(auth_client, db, user, bank_exports):
    account = factories.create_account(db.session, user, "Checking", "USD")
    data = (bank_exports / "ofx1-sgml" / "checking.ofx").read_bytes()
    confirm_from(auth_client, account, upload(auth_client, account, data, "checking.ofx").get_data(as_text=True))
    page = _text(auth_client.get(f"/accounts/{account.id}").get_data(as_text=True))
    assert "Balance US$100.99" in page and "Ledger balance US$100.99 agrees" in page
    batch = db.session.scalars(select(ImportBatch)).one()

    ask = _text(auth_client.get(f"/accounts/{account.id}/imports/{batch.id}/undo").get_data(as_text=True))
    assert "( US$100.99 on 25 May 2013)" in ask and "the opening balance this file gave it comes from the balances other imports " \
                                                 "stated, or is zero when none did" in ask
    auth_client.post(f"/accounts/{account.id}/imports/{batch.id}/undo")
    page = _text(auth_client.get(f"/accounts/{account.id}").get_data(as_text=True))
    assert "Balance US$0.00" in page and "Ledger balance —" in page


def test_undoing_an_import_that_stated_no_balance_says_so(auth_client, db, user):
    account = factories.create_account(db.session, user, "Everyday")
    batch = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee")))
    ask = _text(auth_client.get(f"/accounts/{account.id}/imports/{batch.id}/undo").get_data(as_text=True))
    assert "The file stated no balance." in ask


def test_undoing_the_file_that_opened_the_account_opens_it_from_the_next_file(db, user):
    """The second statement alone would have opened the account so that its balance agrees; after undoing the
    first, it still agrees, as if the first had never been imported."""
    account = factories.create_account(db.session, user, "Everyday")
    first = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee"), ledger_balance=Decimal("96.50"),
                                           balance_as_of=datetime(2025, 1, 31)))
    load(db, user, account, parsed(("2025-02-05", "-6.50", "Lunch"), ledger_balance=Decimal("90.00"),
                                   balance_as_of=datetime(2025, 2, 28)), data=b"other")
    undo.undo_batch(db.session, Scope.of_user(user.id), Actor(user.id), first)
    summary = account_summary(db.session, Scope.of_user(user.id), account)
    assert (account.opening_balance, account.opening_date) == (Decimal("96.50"), date(2025, 2, 5))
    assert (summary.balance, account.ledger_balance, summary.agrees) == (Decimal("90.00"), Decimal("90.00"), True)
    assert [check.difference for check in reconciliation(db.session, Scope.of_user(user.id))] == [0]


@pytest.mark.parametrize("undone", [None, "january", "february"])
def test_an_older_statement_after_a_newer_one_agrees_as_in_date_order(db, user, undone):
    """January's statement imported after February's: both balances agree, and undoing either leaves the
    other agreeing, as if the files had come in date order."""
    account = factories.create_account(db.session, user, "Everyday")
    batches = {
        "february": load(db, user, account, parsed(("2025-02-05", "-6.50", "Lunch"), ledger_balance=Decimal("90.00"),
                                                   balance_as_of=datetime(2025, 2, 28)), data=b"feb"),
        "january": load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee"), ledger_balance=Decimal("96.50"),
                                                  balance_as_of=datetime(2025, 1, 31)), data=b"jan"),
    }
    if undone:
        undo.undo_batch(db.session, Scope.of_user(user.id), Actor(user.id), batches[undone])
    summary = account_summary(db.session, Scope.of_user(user.id), account)
    assert summary.balance == {None: Decimal("90.00"), "january": Decimal("90.00"),
                               "february": Decimal("96.50")}[undone]
    assert summary.agrees
    assert all(check.difference == 0 for check in reconciliation(db.session, Scope.of_user(user.id)))


def test_a_later_import_leaves_an_opening_entered_by_hand(db, user):
    account = factories.create_account(db.session, user, "Everyday")
    account.opening_balance, account.opening_date = Decimal("50.00"), date(2025, 3, 1)
    load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee"), ledger_balance=Decimal("96.50"),
                                   balance_as_of=datetime(2025, 1, 31)))
    assert account.opening_balance == Decimal("50.00")


@pytest.mark.parametrize("undo_older", [False, True])
def test_an_older_statement_without_a_balance_after_a_newer_one(db, user, undo_older):
    """A QIF of January (no balance) after February's OFX: February's balance still agrees, undone or not."""
    account = factories.create_account(db.session, user, "Everyday")
    load(db, user, account, parsed(("2025-02-05", "-6.50", "Lunch"), ledger_balance=Decimal("90.00"),
                                   balance_as_of=datetime(2025, 2, 28)), data=b"feb")
    older = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee")), data=b"jan")
    if undo_older:
        undo.undo_batch(db.session, Scope.of_user(user.id), Actor(user.id), older)
    summary = account_summary(db.session, Scope.of_user(user.id), account)
    assert (summary.balance, summary.agrees) == (Decimal("90.00"), True)
    assert account.opening_balance == (Decimal("96.50") if undo_older else Decimal("100.00"))
