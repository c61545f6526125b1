"""The data model: exact money on both engines, case-insensitive emails."""
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, StatementError

from dashboard.models import Account, Transaction, User
from tests import factories

amounts = st.decimals(min_value=Decimal("-99999999.9999"), max_value=Decimal("99999999.9999"),
                      places=4, allow_nan=False, allow_infinity=False)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(values=st.lists(amounts, min_size=1000, max_size=2500))
def test_sums_in_sql_are_exact(db, user, values):
    # Every example runs in the same test's database: the first makes the account, the others reuse it.
    account = db.session.scalar(select(Account).where(Account.owner_id == user.id)) or \
        factories.create_account(db.session, user)
    db.session.execute(delete(Transaction))
    db.session.execute(Transaction.__table__.insert(), [
        {"owner_id": user.id, "account_id": account.id, "external_id": str(n), "date": date(2025, 1, 1),
         "amount": value, "currency": "GBP", "description": "", "search_text": ""}
        for n, value in enumerate(values)
    ])
    db.session.commit()
    total = db.session.scalar(select(func.sum(Transaction.amount)))
    assert isinstance(total, Decimal)
    assert total == sum(values, Decimal(0))
    stored = db.session.scalars(select(Transaction.amount).order_by(Transaction.id)).all()
    assert stored == values


def test_amounts_come_back_as_decimal_with_two_places(db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2025-01-02", "0.1", "a"), ("2025-01-03", "-1234.5", "b")])
    amounts = db.session.scalars(select(Transaction.amount).order_by(Transaction.id)).all()
    assert [str(a) for a in amounts] == ["0.10", "-1234.50"]


def test_more_than_four_decimal_places_is_refused(db, user):
    account = factories.create_account(db.session, user)
    with pytest.raises((StatementError, ValueError), match="decimal places"):
        factories.add_transactions(db.session, account, [("2025-01-02", "0.00001", "too fine")])


def test_dates_are_dates(db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-02-29", "1", "leap")])
    assert db.session.scalar(select(Transaction.date)) == date(2024, 2, 29)


def test_email_is_unique_whatever_its_case(db):
    factories.create_user(db.session, "Bob@Example.com")
    assert db.session.scalar(select(User.email)) == "bob@example.com"
    db.session.add(User(email="bob@example.com", password_hash="x"))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_passwords_are_stored_hashed(db):
    user = factories.create_user(db.session, "carol@example.com")
    assert factories.PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    assert user.check_password(factories.PASSWORD)
    assert not user.check_password("wrong password")


def test_explicit_external_ids_go_to_their_own_rows(db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2025-01-02", "-1", "a"), ("2025-01-03", "-2", "b")],
                               external_ids=["FITID-1", "FITID-2"])
    stored = db.session.execute(select(Transaction.description, Transaction.external_id)
                                .order_by(Transaction.id)).all()
    assert [tuple(row) for row in stored] == [("a", "FITID-1"), ("b", "FITID-2")]


def test_external_ids_must_match_the_rows(db, user):
    account = factories.create_account(db.session, user)
    with pytest.raises(ValueError, match="1 external ids for 2 rows"):
        factories.add_transactions(db.session, account, [("2025-01-02", "-1", "a"), ("2025-01-03", "-2", "b")],
                                   external_ids=["only one"])


def test_a_commit_in_a_test_stays_inside_the_transaction_that_is_rolled_back(db, user):
    db.session.commit()
    with db.engine.connect() as elsewhere:
        assert elsewhere.scalar(select(func.count()).select_from(User)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_row_pointing_at_no_account_is_refused_on_both_engines(db, user):
    """SQLite keeps foreign keys only when each connection turns them on; the app does."""
    with pytest.raises(IntegrityError):
        db.session.execute(Transaction.__table__.insert(), [
            {"owner_id": user.id, "account_id": 987_654, "external_id": "orphan", "date": date(2025, 1, 1),
             "amount": Decimal("1.00"), "currency": "GBP", "description": "", "search_text": ""}])
