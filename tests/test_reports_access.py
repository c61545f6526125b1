"""Every report query reads through the access Scope: another user sees none of the owner's figures, the
organisation scope sees everyone's, and an account shared with a user counts in that user's reports."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dashboard.access import Need, Scope
from dashboard.reports.balances import DAILY, balances_over_time
from dashboard.reports.periods import Period
from dashboard.reports.profit_and_loss import code_transactions, profit_and_loss
from dashboard.reports.queries import filter_choices, income_and_expenses, spending_by_category
from tests import factories

JANUARY = Period(date(2025, 1, 1), date(2025, 1, 1))


@pytest.fixture
def two_users(db, user):
    """Alice (the ``user``) and Bob, each with one GBP account: income on code 4000 and money out on food."""
    bob = factories.create_user(db.session, "bob@example.com")
    # Each stated balance includes the rows below: the opening balances are what came before them.
    alice_account = factories.create_account(db.session, user, "Alice current", "GBP",
                                             ledger_balance=Decimal("500.00"), opening_balance=Decimal("-388.89"))
    bob_account = factories.create_account(db.session, bob, "Bob current", "GBP", ledger_balance=Decimal("70.00"),
                                           opening_balance=Decimal("53.33"))
    factories.add_rows(db.session, alice_account, [
        {"date": date(2025, 1, 10), "amount": "1000.00", "category": "Salary", "nominal_code": "4000"},
        {"date": date(2025, 1, 12), "amount": "-111.11", "category": "Food", "nominal_code": ""}])
    factories.add_rows(db.session, bob_account, [
        {"date": date(2025, 1, 11), "amount": "20.00", "category": "Salary", "nominal_code": "4000"},
        {"date": date(2025, 1, 13), "amount": "-3.33", "category": "Food", "nominal_code": ""}])
    return {"alice": user.id, "bob": bob.id, "alice_account": alice_account.id, "bob_account": bob_account.id}


def _code_4000(session, scope):
    found = code_transactions(session, scope, JANUARY, currency="GBP", code="4000")
    return found.count, found.credit_total


# Each report query, reduced to the figures a reader would check.
REPORTS = {
    "income_and_expenses": lambda session, scope: {
        r.currency: (r.income, r.expenses) for r in income_and_expenses(session, scope, JANUARY)},
    "spending_by_category": lambda session, scope: {
        (r.currency, c.category): c.spent for r in spending_by_category(session, scope, JANUARY) for c in r.categories},
    "monthly_balances": lambda session, scope: {
        a.name: a.balances for c in balances_over_time(session, scope, JANUARY).currencies for a in c.accounts},
    "daily_balances": lambda session, scope: {
        a.name: (a.balances[0], a.balances[-1])
        for c in balances_over_time(session, scope, JANUARY, step=DAILY).currencies for a in c.accounts},
    "profit_and_loss": lambda session, scope: {
        r.currency: r.revenue for r in profit_and_loss(session, scope, JANUARY)},
    "code_transactions": _code_4000,
}
D = Decimal
BOB_ONLY = {
    "income_and_expenses": {"GBP": (D("20.00"), D("3.33"))},
    "spending_by_category": {("GBP", "Food"): D("3.33")},
    "monthly_balances": {"Bob current": [D("70.00")]},
    "daily_balances": {"Bob current": (D("53.33"), D("70.00"))},
    "profit_and_loss": {"GBP": [D("20.00")]},
    "code_transactions": (1, D("20.00")),
}
BOTH = {
    "income_and_expenses": {"GBP": (D("1020.00"), D("114.44"))},
    "spending_by_category": {("GBP", "Food"): D("114.44")},
    "monthly_balances": {"Alice current": [D("500.00")], "Bob current": [D("70.00")]},
    "daily_balances": {"Alice current": (D("-388.89"), D("500.00")), "Bob current": (D("53.33"), D("70.00"))},
    "profit_and_loss": {"GBP": [D("1020.00")]},
    "code_transactions": (2, D("1020.00")),
}


@pytest.mark.parametrize("report", REPORTS)
def test_another_user_sees_none_of_the_owners_figures(db, two_users, report):
    assert REPORTS[report](db.session, Scope.of_user(two_users["bob"])) == BOB_ONLY[report]


@pytest.mark.parametrize("report", REPORTS)
def test_the_organisation_scope_sees_every_users_figures(db, two_users, report):
    assert REPORTS[report](db.session, Scope.organisation()) == BOTH[report]


@pytest.mark.parametrize("report", REPORTS)
def test_an_account_shared_with_a_user_counts_in_their_reports(db, two_users, report):
    shared = Scope.of_user(two_users["bob"], shared={two_users["alice_account"]: Need.READ})
    assert REPORTS[report](db.session, shared) == BOTH[report]


@pytest.mark.parametrize("report", REPORTS)
def test_a_user_without_data_sees_nothing(db, two_users, report):
    carol = factories.create_user(db.session, "carol@example.com")
    empty = REPORTS[report](db.session, Scope.of_user(carol.id))
    assert empty == ((0, Decimal(0)) if report == "code_transactions" else {})


def test_filter_choices_list_what_the_scope_sees(db, two_users):
    bob = Scope.of_user(two_users["bob"])
    assert filter_choices(db.session, bob) == ([(two_users["bob_account"], "Bob current (GBP)")], ["GBP"])
    shared = Scope.of_user(two_users["bob"], shared={two_users["alice_account"]: Need.READ})
    assert filter_choices(db.session, shared) == ([(two_users["alice_account"], "Alice current (GBP)"),
                                                   (two_users["bob_account"], "Bob current (GBP)")], ["GBP"])
    assert filter_choices(db.session, Scope.organisation()) == ([], ["GBP"])  # organisation pages filter by currency
