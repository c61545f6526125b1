"""The sync against the loopback Teller server: accounts, balances, upserts, pending to posted, failures."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from dashboard.access import Scope
from dashboard.accounts.services import set_closed
from dashboard.balances import first_departures
from dashboard.audit import Actor
from dashboard.ledger import update_transactions, verify_totals
from dashboard.models import Account, AuditEvent, Transaction
from dashboard.models.accounts import AccountSource, TransactionSource, TransactionStatus
from dashboard.models.teller import EnrollmentStatus, TellerAccount, TellerAccountStatus
from dashboard.teller.client import ClientSettings, TellerClient
from dashboard.teller.enrollments import enroll
from dashboard.teller.reviews import confirm_match, dismiss_match, open_reviews
from dashboard.teller.sync import TRAILING_WINDOW, sync_enrollment
from tests import factories
from tests.teller_fixtures import TOKEN, api_url, app_config, bank  # noqa: F401  (fixtures)

TODAY = date(2025, 3, 20)


@pytest.fixture
def enrollment(db, user, api_url):
    enrolled = enroll(db.session, Scope.of_user(user.id), Actor(user.id), TOKEN, lambda t: _client(api_url, t))
    db.session.commit()
    return enrolled


def _client(url, token=TOKEN):
    return TellerClient(token, ClientSettings(api_url=url, retries=1, backoff=0.01, timeout=(1, 1)))


def _sync(db, enrollment, api_url):
    return sync_enrollment(db.session, enrollment, _client(api_url), Actor.system(), today=TODAY)


def _rows(db, user):
    return db.session.execute(select(Account.external_id, Transaction.external_id, Transaction.amount,
                                     Transaction.status, Transaction.description)
                              .join(Account, Account.id == Transaction.account_id)
                              .where(Transaction.owner_id == user.id).order_by(Transaction.external_id)).all()


def test_enrol_stores_the_token_encrypted(db, enrollment):
    assert enrollment.access_token != TOKEN and TOKEN not in enrollment.access_token
    assert enrollment.institution == "Gringotts" and enrollment.enrollment_id == "enr_1"
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "teller.enroll"))


def test_first_sync_brings_accounts_balances_and_transactions(db, user, enrollment, api_url):
    result = _sync(db, enrollment, api_url)
    assert not result.failed
    accounts = db.session.scalars(select(Account).where(Account.owner_id == user.id).order_by(Account.name)).all()
    assert [(a.name, a.source, a.external_id, a.type) for a in accounts] == [
        ("Gringotts Checking ••1234", AccountSource.TELLER, "acc_chk", "checking"),
        ("Gringotts Savings ••9999", AccountSource.TELLER, "acc_sav", "savings")]
    assert accounts[0].ledger_balance == Decimal("100.00") and accounts[0].available_balance == Decimal("90.00")
    assert accounts[0].balance_as_of is not None
    cafe = db.session.scalar(select(Transaction).where(Transaction.external_id == "txn_1"))
    assert (cafe.amount, cafe.category, cafe.counterparty) == (Decimal("-12.50"), "dining", "Corner Cafe")
    assert cafe.source == TransactionSource.TELLER
    assert [line.line() for line in result.accounts] == [
        "Gringotts Checking ••1234: added 2, updated 0, removed 0", "Gringotts Savings ••9999: added 1, updated 0, removed 0"]
    assert verify_totals(db.session) == []


def test_a_second_sync_with_nothing_new_changes_nothing(db, user, enrollment, api_url):
    _sync(db, enrollment, api_url)
    before = _rows(db, user)
    result = _sync(db, enrollment, api_url)
    assert [a.line() for a in result.accounts] == ["Gringotts Checking ••1234: no changes",
                                                   "Gringotts Savings ••9999: no changes"]
    assert _rows(db, user) == before


def test_a_changed_transaction_is_updated_in_place(db, user, enrollment, api_url, bank):
    _sync(db, enrollment, api_url)
    bank.transactions["acc_chk"][0]["description"] = "Payroll March"
    result = _sync(db, enrollment, api_url)
    assert result.accounts[0].updated == 1
    assert ("acc_chk", "txn_2", Decimal("2500.00"), "posted", "Payroll March") in _rows(db, user)
    assert verify_totals(db.session) == []


def _pending_then_posted(db, user, enrollment, api_url, bank, pending: tuple, posted: tuple):
    """A pending row synced and categorised by the user, then dropped by the bank for a posted one."""
    bank.add_transaction("acc_chk", "txn_p", *pending, status="pending")
    _sync(db, enrollment, api_url)
    row = db.session.scalar(select(Transaction).where(Transaction.external_id == "txn_p"))
    update_transactions(db.session, Scope.of_user(user.id), [row.id], category="Eating out")
    db.session.commit()
    bank.remove_transaction("acc_chk", "txn_p")
    bank.add_transaction("acc_chk", "txn_posted", *posted, counterparty=None)
    return _sync(db, enrollment, api_url)


def _bistro(db):
    return [(r.external_id, r.amount, r.status, r.category) for r in db.session.scalars(
        select(Transaction).where(Transaction.description.like("BISTRO%")).order_by(Transaction.id))]


def test_a_sure_posted_twin_replaces_its_pending_row_silently(db, user, enrollment, api_url, bank):
    result = _pending_then_posted(db, user, enrollment, api_url, bank, ("2025-03-15", "-40.00", "BISTRO 42 LONDON"),
                                  ("2025-03-17", "-40.00", "BISTRO 42 LONDON GB"))
    assert (result.accounts[0].replaced, result.accounts[0].added, result.accounts[0].to_review) == (1, 0, 0)
    assert _bistro(db) == [("txn_posted", Decimal("-40.00"), TransactionStatus.POSTED, "Eating out")]
    assert open_reviews(db.session, Scope.of_user(user.id)) == []
    assert verify_totals(db.session) == []


def test_a_likely_twin_with_a_tip_waits_for_review_and_confirming_keeps_the_category(db, user, enrollment,
                                                                                    api_url, bank):
    result = _pending_then_posted(db, user, enrollment, api_url, bank, ("2025-03-15", "-40.00", "BISTRO 42 PENDING"),
                                  ("2025-03-17", "-46.00", "BISTRO 42"))
    assert (result.accounts[0].replaced, result.accounts[0].added, result.accounts[0].to_review) == (0, 1, 1)
    assert "1 to review" in result.accounts[0].line()
    assert _bistro(db) == [("txn_p", Decimal("-40.00"), TransactionStatus.PENDING, "Eating out"),
                           ("txn_posted", Decimal("-46.00"), TransactionStatus.POSTED, "dining")]
    later = sync_enrollment(db.session, enrollment, _client(api_url), Actor.system(), today=date(2025, 4, 30))
    assert later.accounts[0].removed == 0  # under review: the pending window leaves it alone
    (review,) = open_reviews(db.session, Scope.of_user(user.id))
    assert confirm_match(db.session, Scope.of_user(user.id), Actor(user.id), review)
    db.session.commit()
    assert _bistro(db) == [("txn_posted", Decimal("-46.00"), TransactionStatus.POSTED, "Eating out")]
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "teller.match_confirm"))
    assert verify_totals(db.session) == []
    assert [a.line() for a in _sync(db, enrollment, api_url).accounts][0].endswith("no changes")


def test_dismissing_a_likely_twin_keeps_both_for_good(db, user, enrollment, api_url, bank):
    _pending_then_posted(db, user, enrollment, api_url, bank, ("2025-03-15", "-40.00", "BISTRO 42 PENDING"),
                         ("2025-03-17", "-46.00", "BISTRO 42"))
    (review,) = open_reviews(db.session, Scope.of_user(user.id))
    assert dismiss_match(db.session, Scope.of_user(user.id), Actor(user.id), review)
    db.session.commit()
    sync_enrollment(db.session, enrollment, _client(api_url), Actor.system(), today=date(2025, 4, 30))
    assert [row[0] for row in _bistro(db)] == ["txn_p", "txn_posted"]
    assert open_reviews(db.session, Scope.of_user(user.id)) == []
    assert not confirm_match(db.session, Scope.of_user(user.id), Actor(user.id), review)


def test_a_resync_fills_the_banks_category_only_where_the_row_has_none(db, user, enrollment, api_url, bank):
    bank.add_transaction("acc_chk", "txn_bare", "2025-03-05", "-9.00", "Newsagent", category=None)
    _sync(db, enrollment, api_url)
    cafe = db.session.scalar(select(Transaction).where(Transaction.external_id == "txn_1"))
    update_transactions(db.session, Scope.of_user(user.id), [cafe.id], category="Coffee")
    db.session.commit()
    for row in bank.transactions["acc_chk"]:
        row["details"]["category"] = {"txn_1": "food", "txn_bare": "shopping"}.get(row["id"],
                                                                                  row["details"]["category"])
    _sync(db, enrollment, api_url)
    categories = dict(db.session.execute(select(Transaction.external_id, Transaction.category)).all())
    assert (categories["txn_1"], categories["txn_bare"]) == ("Coffee", "Shopping")  # mapped onto the list
    assert verify_totals(db.session) == []


def test_running_balances_are_kept_and_reconciled_row_by_row(db, user, enrollment, api_url, bank):
    cafe, payroll = sorted(bank.transactions["acc_chk"], key=lambda r: r["date"])
    cafe["running_balance"], payroll["running_balance"] = "-2412.50", "87.50"
    bank.balances["acc_chk"]["ledger"] = "87.50"  # the account opens at -2,400.00: 87.50 less its two rows
    _sync(db, enrollment, api_url)
    stated = dict(db.session.execute(select(Transaction.external_id, Transaction.stated_balance)).all())
    assert (stated["txn_1"], stated["txn_2"], stated["txn_3"]) == (Decimal("-2412.50"), Decimal("87.50"), None)
    assert first_departures(db.session, Scope.of_user(user.id)) == []
    cafe["running_balance"] = "-2410.00"  # the bank corrects a row's running balance: the resync takes it
    _sync(db, enrollment, api_url)
    (departure,) = first_departures(db.session, Scope.of_user(user.id))
    assert (departure.description, departure.stated, departure.computed) == (
        "Corner Cafe", Decimal("-2410.00"), Decimal("-2412.50"))


def test_a_new_bank_account_never_takes_a_name_the_user_already_has(db, user, enrollment, api_url):
    factories.create_account(db.session, user, "gringotts checking ••1234")
    db.session.commit()
    _sync(db, enrollment, api_url)
    names = db.session.scalars(select(Account.name).where(Account.owner_id == user.id).order_by(Account.id)).all()
    assert names == ["gringotts checking ••1234", "Gringotts Checking ••1234 (2)",
                     "Gringotts Savings ••9999"]


def test_a_pending_row_that_vanishes_stays_until_the_window_then_goes(db, user, enrollment, api_url, bank):
    bank.add_transaction("acc_chk", "txn_hold", "2025-03-18", "-1.00", "Card check", status="pending")
    _sync(db, enrollment, api_url)
    bank.remove_transaction("acc_chk", "txn_hold")
    _sync(db, enrollment, api_url)
    assert db.session.scalar(select(Transaction.id).where(Transaction.external_id == "txn_hold"))
    later = sync_enrollment(db.session, enrollment, _client(api_url), Actor.system(), today=date(2025, 4, 1))
    assert later.accounts[0].removed == 1
    assert db.session.scalar(select(Transaction.id).where(Transaction.external_id == "txn_hold")) is None


def test_a_closed_account_is_marked_and_its_history_kept(db, user, enrollment, api_url, bank):
    _sync(db, enrollment, api_url)
    bank.fail("/accounts/acc_sav/balances", 410, code="account.closed")
    result = _sync(db, enrollment, api_url)
    assert result.accounts[0].error is None and "closed" in result.accounts[1].error
    savings = db.session.scalar(select(Account).where(Account.external_id == "acc_sav"))
    assert db.session.get(TellerAccount, savings.id).status == TellerAccountStatus.CLOSED
    assert db.session.scalar(select(Transaction.id).where(Transaction.external_id == "txn_3"))


def test_a_404_fails_the_account_this_time_and_the_next_sync_takes_it_again(db, user, enrollment, api_url, bank):
    _sync(db, enrollment, api_url)
    bank.fail("/accounts/acc_sav/balances", 404, code="not_found")
    first = _sync(db, enrollment, api_url)
    assert "404" in first.accounts[1].error and "closed" not in first.accounts[1].error
    savings = db.session.scalar(select(Account).where(Account.external_id == "acc_sav"))
    assert db.session.get(TellerAccount, savings.id).status == TellerAccountStatus.SYNCING
    bank.add_transaction("acc_sav", "txn_after_404", date.today().isoformat(), "5.00", "Interest")
    assert _sync(db, enrollment, api_url).accounts[1].added == 1


def test_an_account_the_bank_stops_listing_is_reported_kept_and_synced_when_listed_again(
        db, user, enrollment, api_url, bank):
    _sync(db, enrollment, api_url)
    savings_remote = bank.accounts.pop("acc_sav")
    result = _sync(db, enrollment, api_url)
    assert [a.line() for a in result.accounts][1:] == [
        f"{savings_remote['institution']['name']} {savings_remote['name']} ••{savings_remote['last_four']}: "
        "not synced (the bank no longer lists it: its history is kept, and it syncs again if the bank lists it again)"]
    assert not result.failed and db.session.scalar(select(Transaction.id).where(Transaction.external_id == "txn_3"))
    bank.accounts["acc_sav"] = savings_remote
    bank.add_transaction("acc_sav", "txn_relisted", date.today().isoformat(), "1.00", "Interest")
    assert _sync(db, enrollment, api_url).accounts[1].added == 1


def test_one_broken_account_never_fails_the_others(db, user, enrollment, api_url, bank):
    bank.fail("/accounts/acc_chk/transactions", 502, times=5)
    result = _sync(db, enrollment, api_url)
    assert result.failed and "502" in result.accounts[0].error
    assert result.accounts[1].added == 1
    assert db.session.scalar(select(Transaction.id).where(Transaction.external_id == "txn_1")) is None


@pytest.mark.parametrize("status, code, marked", [
    (403, "enrollment.disconnected.credentials_invalid", EnrollmentStatus.DISCONNECTED),
    (401, "unauthorized", EnrollmentStatus.REVOKED)])
def test_a_broken_enrollment_is_marked_with_its_reason_and_audited(db, user, enrollment, api_url, bank,
                                                                   status, code, marked):
    bank.fail("/accounts", status, code=code)
    result = _sync(db, enrollment, api_url)
    assert result.failed
    db.session.refresh(enrollment)
    assert enrollment.status == marked
    assert code in enrollment.status_reason
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "teller.sync_failed"))


def test_an_account_the_user_closed_is_not_synced_until_reopened(db, user, enrollment, api_url, bank):
    _sync(db, enrollment, api_url)
    checking = db.session.scalar(select(Account).where(Account.external_id == "acc_chk"))
    set_closed(db.session, Scope.of_user(user.id), Actor(user.id), checking, True)
    db.session.commit()
    bank.add_transaction("acc_chk", "txn_late", "2025-03-19", "-4.00", "Bakery")
    result = _sync(db, enrollment, api_url)
    assert result.accounts[0].line() == ("Gringotts Checking ••1234: not synced "
                                         "(closed in the dashboard: reopen it to sync)")
    assert db.session.scalar(select(Transaction.id).where(Transaction.external_id == "txn_late")) is None
    set_closed(db.session, Scope.of_user(user.id), Actor(user.id), checking, False)
    db.session.commit()
    assert _sync(db, enrollment, api_url).accounts[0].added == 1


@pytest.mark.parametrize("field, value", [("amount", "12,50"), ("amount", "0.00001"), ("amount", "NaN"),
                                          ("amount", 1e300), ("amount", "1e1000000"), ("date", "20/03/2025"), ("date", None)])
def test_a_transaction_the_ledger_cannot_store_fails_its_account_alone_and_writes_nothing_of_it(
        db, user, enrollment, api_url, bank, field, value):
    bank.balances["acc_chk"]["ledger"] = "555.55"
    bank.transactions["acc_chk"][0][field] = value
    result = _sync(db, enrollment, api_url)
    checking, savings = result.accounts
    assert result.failed and "bad_answer" in checking.error and "cannot be read" in checking.error
    assert savings.added == 1 and savings.error is None
    assert [row[1] for row in _rows(db, user)] == ["txn_3"]
    assert db.session.scalar(select(Account.ledger_balance).where(Account.external_id == "acc_chk")) is None
    assert verify_totals(db.session) == []


def test_balances_that_cannot_be_read_fail_their_account_alone(db, user, enrollment, api_url, bank):
    bank.balances["acc_sav"] = {"account_id": "acc_sav", "ledger": "lots", "available": None}
    result = _sync(db, enrollment, api_url)
    assert result.accounts[0].added == 2 and "balances Teller sent cannot be read" in result.accounts[1].error


def test_a_resync_rereads_the_trailing_window_only(db, user, enrollment, api_url, bank):
    bank.add_transaction("acc_chk", "txn_old", (TODAY - TRAILING_WINDOW - timedelta(days=1)).isoformat(), "-7.00",
                         "Old shop")
    _sync(db, enrollment, api_url)
    bank.transactions["acc_chk"][-1]["description"] = "Old shop renamed"  # before the window: not asked for
    bank.transactions["acc_chk"][0]["description"] = "Payroll late change"  # inside it: taken
    assert _sync(db, enrollment, api_url).accounts[0].updated == 1
    descriptions = set(db.session.scalars(select(Transaction.description)))
    assert {"Old shop", "Payroll late change"} <= descriptions and "Old shop renamed" not in descriptions
