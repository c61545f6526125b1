"""The sync against the loopback Teller server: accounts, balances, upserts, pending to posted, failures."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.ledger import update_transactions, verify_totals
from dashboard.models import Account, AuditEvent, Transaction
from dashboard.models.accounts import AccountSource, TransactionStatus
from dashboard.models.teller import EnrollmentStatus, TellerAccount, TellerAccountStatus
from dashboard.teller.client import ClientSettings, TellerClient
from dashboard.teller.enrollments import enroll
from dashboard.teller.sync import sync_enrollment
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


def test_pending_replaced_by_its_posted_twin_with_a_new_id_and_a_tip(db, user, enrollment, api_url, bank):
    bank.add_transaction("acc_chk", "txn_p", "2025-03-15", "-40.00", "BISTRO 42 PENDING", status="pending")
    _sync(db, enrollment, api_url)
    pending = db.session.scalar(select(Transaction).where(Transaction.external_id == "txn_p"))
    update_transactions(db.session, Scope.of_user(user.id), [pending.id], category="Eating out")
    db.session.commit()
    bank.remove_transaction("acc_chk", "txn_p")
    bank.add_transaction("acc_chk", "txn_posted", "2025-03-17", "-46.00", "BISTRO 42", counterparty=None)
    result = _sync(db, enrollment, api_url)
    assert result.accounts[0].replaced == 1 and result.accounts[0].added == 0
    assert result.accounts[0].to_check  # the amount changed: listed for the user to check
    rows = db.session.scalars(select(Transaction).where(Transaction.description.like("BISTRO%"))).all()
    assert [(r.external_id, r.amount, r.status, r.category) for r in rows] == [
        ("txn_posted", Decimal("-46.00"), TransactionStatus.POSTED, "Eating out")]
    assert verify_totals(db.session) == []


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


def test_one_broken_account_never_fails_the_others(db, user, enrollment, api_url, bank):
    bank.fail("/accounts/acc_chk/transactions", 502, times=5)
    result = _sync(db, enrollment, api_url)
    assert result.failed and "502" in result.accounts[0].error
    assert result.accounts[1].added == 1
    assert db.session.scalar(select(Transaction.id).where(Transaction.external_id == "txn_1")) is None


def test_a_revoked_token_marks_the_enrollment_and_audits(db, user, enrollment, api_url, bank):
    bank.fail("/accounts", 403, code="enrollment.disconnected.credentials_invalid")
    result = _sync(db, enrollment, api_url)
    assert result.failed
    db.session.refresh(enrollment)
    assert enrollment.status == EnrollmentStatus.REVOKED
    assert "enrollment.disconnected.credentials_invalid" in enrollment.status_reason
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "teller.sync_failed"))
