"""Managing accounts: unique names ignoring case, edits, close and reopen, delete with what goes."""
import threading
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.accounts.queries import account_summary
from dashboard.accounts.services import AccountError, delete_account, open_account, set_closed, update_account
from dashboard.audit import Actor
from dashboard.importers.records import ImportFileError
from dashboard.ledger import verify_totals
from dashboard.models import Account, AuditEvent, ImportBatch, Transaction
from tests import factories
from tests.test_importers_batches import load, parsed


def _open(db, user, name="Everyday Checking", **fields):
    return open_account(db.session, Scope.of_user(user.id), Actor(user.id), name, "checking", "gbp", **fields)


def test_names_are_unique_per_owner_ignoring_case(db, user):
    _open(db, user)
    with pytest.raises(AccountError, match="already have an account named"):
        _open(db, user, "everyday CHECKING ")
    bob = factories.create_user(db.session, "bob@example.com")
    assert open_account(db.session, Scope.of_user(bob.id), Actor(bob.id), "Everyday Checking", "checking", "GBP")


def test_two_requests_opening_the_same_name_at_once_get_a_message_not_a_500(db, user, committed):
    """The second request checks the name before the first commits, and meets the unique index when it writes."""
    db.session.commit()
    first, second = Session(db.engine), Session(db.engine)
    first.add(Account(owner_id=user.id, name="Holiday Fund", currency="GBP"))
    first.flush()  # written, not yet committed: invisible to the second request's check
    writing = threading.Event()
    outcome = []

    def notice_the_insert(_connection, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO accounts"):
            writing.set()

    def open_the_same_name():
        event.listen(second.get_bind(), "before_cursor_execute", notice_the_insert)
        try:
            open_account(second, Scope.of_user(user.id), Actor(user.id), "holiday fund", "savings", "GBP")
            second.commit()
            outcome.append("opened")
        except AccountError as error:
            outcome.append(str(error))
        finally:
            event.remove(second.get_bind(), "before_cursor_execute", notice_the_insert)
            second.close()

    thread = threading.Thread(target=open_the_same_name)
    thread.start()
    assert writing.wait(10)  # past the name check, waiting on the first request's row
    first.commit()
    first.close()
    thread.join(20)
    assert outcome == ["You already have an account named holiday fund."]
    assert db.session.scalar(select(func.count()).select_from(Account).where(Account.owner_id == user.id)) == 1


def test_the_opening_balance_starts_the_computed_balance(db, user):
    account = _open(db, user, opening_balance=Decimal("100.00"))
    factories.add_transactions(db.session, account, [("2025-01-02", "-30", "Shop")])
    factories.add_pending(db.session, account, "2025-01-03", "-5", "Hold")
    summary = account_summary(db.session, Scope.of_user(user.id), account)
    assert (summary.balance, summary.pending) == (Decimal("70.00"), Decimal("-5.00"))


def test_edits_are_audited_and_the_currency_is_fixed_once_rows_exist(db, user):
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    account = _open(db, user)
    other = _open(db, user, "Savings")
    assert update_account(db.session, scope, actor, account, name="Joint", currency="eur") == {
        "name": ["Everyday Checking", "Joint"], "currency": ["GBP", "EUR"]}
    with pytest.raises(AccountError, match="already have"):
        update_account(db.session, scope, actor, other, name="JOINT")
    factories.add_transactions(db.session, account, [("2025-01-02", "-1", "x")])
    with pytest.raises(AccountError, match="no transactions"):
        update_account(db.session, scope, actor, account, currency="USD")
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "account.edit")) == 1


def test_a_closed_account_takes_no_imports_until_reopened(db, user):
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    account = _open(db, user)
    assert set_closed(db.session, scope, actor, account, True)
    with pytest.raises(ImportFileError, match="closed"):
        load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee")))
    assert set_closed(db.session, scope, actor, account, False)
    assert load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee"))).rows_inserted == 1


def test_deleting_an_account_takes_its_rows_and_imports_and_keeps_totals_exact(db, user):
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    account = _open(db, user)
    kept = _open(db, user, "Savings")
    load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee"), ("2025-01-06", "-20", "Books")))
    factories.add_transactions(db.session, kept, [("2025-01-02", "5", "Interest")])
    assert delete_account(db.session, scope, actor, account) == {"transactions": 2, "imports": 1}
    assert db.session.scalars(select(Account.name)).all() == ["Savings"]
    assert db.session.scalar(select(func.count()).select_from(Transaction)) == 1
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    assert verify_totals(db.session) == []
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.delete")).one()
    assert event.details == {"name": "Everyday Checking", "transactions": 2, "imports": 1}


def test_someone_a_share_lets_read_cannot_manage(db, user):
    from werkzeug.exceptions import Forbidden

    from dashboard.access import READ
    account = _open(db, user)
    bob = factories.create_user(db.session, "bob@example.com")
    with pytest.raises(Forbidden):
        set_closed(db.session, Scope.of_user(bob.id, {account.id: READ}), Actor(bob.id), account, True)


def test_the_pages_edit_close_and_delete_an_account(auth_client, db, user):
    account = factories.create_account(db.session, user, "Everyday")
    factories.add_transactions(db.session, account, [("2025-01-02", "-1", "x")])
    db.session.commit()
    assert 'value="Everyday"' in auth_client.get(f"/accounts/{account.id}/edit").get_data(as_text=True)
    auth_client.post(f"/accounts/{account.id}/edit", data={
        "name": "Joint", "type": "savings", "currency": "GBP", "institution": "", "last_four": "",
        "opening_balance": "10", "opening_date": ""})
    auth_client.post(f"/accounts/{account.id}/close", data={})
    db.session.expire_all()
    assert (account.name, account.type, account.opening_balance, account.closed) == \
        ("Joint", "savings", Decimal("10.00"), True)
    confirm = auth_client.get(f"/accounts/{account.id}/delete").get_data(as_text=True)
    assert "1 transaction" in confirm and "0 imports" in confirm
    auth_client.post(f"/accounts/{account.id}/delete", data={})
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0
    assert "Add an account" in auth_client.get("/accounts/new").get_data(as_text=True)
