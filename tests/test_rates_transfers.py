"""A euro account paying a pound card: matched by the converted amount, the difference an exchange gain or loss."""
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from dashboard.access import Scope
from dashboard.accounts.transfers import link_transfer
from dashboard.audit import Actor
from dashboard.models import MonthlyTotal, Transaction
from dashboard.models.accounts import TRANSFER_CATEGORY
from dashboard.rates.files import PublishedRate
from dashboard.rates.services import store_published_rates
from dashboard.rates.transfers import cross_currency_suggestions
from tests import factories

D = Decimal


def _world(db, user):
    euro = factories.create_account(db.session, user, "Girokonto", currency="EUR")
    card = factories.create_account(db.session, user, "Card", currency="GBP", type="credit_card")
    factories.add_transactions(db.session, euro, [("2024-01-05", "-500.00", "Card payment"),
                                                  ("2024-01-05", "-20.00", "Bakery")])
    factories.add_transactions(db.session, card, [("2024-01-08", "425.00", "Payment received"),
                                                  ("2024-01-08", "-60.00", "Dinner")])
    store_published_rates(db.session, Actor.system(), [PublishedRate(date(2024, 1, 5), "EUR", "GBP", D("0.86008"),
                                                                     "ecb")], "t")
    return euro, card


def _id(db, description):
    return db.session.scalar(select(Transaction.id).where(Transaction.description == description))


def test_a_payment_across_currencies_is_suggested_by_its_converted_amount(db, user):
    _world(db, user)
    [pair] = cross_currency_suggestions(db.session, Scope.of_user(user.id), 7, D(3))
    assert (pair.out.description, pair.into.description) == ("Card payment", "Payment received")
    assert pair.expected == D("430.04")  # 500 × 0.86008
    assert pair.difference == D("-5.04") and pair.kind == "loss"
    assert cross_currency_suggestions(db.session, Scope.of_user(user.id), 7, D(1)) == []  # 1.17% off: too far


def test_linked_the_two_rows_are_neither_income_nor_expense_and_the_page_shows_the_loss(auth_client, db, user):
    _world(db, user)
    page = auth_client.get("/transfers").text
    assert 'id="cross-currency-suggestions"' in page and "-£5.04" in page
    link_transfer(db.session, Scope.of_user(user.id), Actor(user.id), _id(db, "Card payment"),
                  _id(db, "Payment received"))
    categories = set(db.session.scalars(select(MonthlyTotal.category).where(MonthlyTotal.income == D("425.00"))))
    assert categories == {TRANSFER_CATEGORY}
    shown = auth_client.get(f"/transactions/{_id(db, 'Payment received')}").text
    assert 'id="exchange-difference"' in shown and "Exchange loss:" in shown and "-£5.04" in shown
    assert 'title="1 EUR = 0.86008 GBP on 5 Jan 2024"' in shown
    assert 'id="cross-currency-suggestions"' not in auth_client.get("/transfers").text
