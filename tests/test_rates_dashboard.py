"""The dashboard's net worth in the home currency: each currency's figure converted, the rate shown, a gap said."""
from datetime import date, timedelta
from decimal import Decimal

from dashboard.audit import Actor
from dashboard.rates.files import PublishedRate
from dashboard.rates.services import store_published_rates
from tests import factories


def _accounts(db, user):
    factories.create_account(db.session, user, "Girokonto", currency="EUR", opening_balance=Decimal("1000"))
    factories.create_account(db.session, user, "Current", currency="GBP", opening_balance=Decimal("500"))
    factories.create_account(db.session, user, "Card", currency="USD", type="credit_card",
                             opening_balance=Decimal("-250"))
    user.preferences = {"home_currency": "GBP"}


def _rates(db, day, **quotes):
    store_published_rates(db.session, Actor.system(),
                          [PublishedRate(day, "EUR", code, Decimal(rate), "ecb") for code, rate in quotes.items()], "t")


def test_net_worth_is_the_sum_of_each_currency_converted_with_its_rate_shown(auth_client, db, user):
    _accounts(db, user)
    _rates(db, date.today() - timedelta(days=1), GBP="0.86008", USD="1.0921")
    page = auth_client.get("/").text
    assert "Net worth in GBP at today's rates" in page
    yesterday = f"{(date.today() - timedelta(days=1)).day} {date.today() - timedelta(days=1):%b %Y}"
    assert (f'<span title="1 EUR = 0.86008 GBP on {yesterday}">≈ <span class="amount ">£860.08</span>' in page)
    assert (f'<span title="1 USD = 0.7875469279 GBP on {yesterday} (via EUR)">≈ '
            f'<span class="amount text-danger">-£196.89</span>') in page
    assert '<span class="amount ">£1,163.19</span>' in page  # 860.08 + 500.00 - 196.89


def test_a_missing_rate_is_said_and_that_currency_is_left_out_visibly(auth_client, db, user):
    _accounts(db, user)
    _rates(db, date.today() - timedelta(days=30), GBP="0.86008", USD="1.0921")  # too old
    _rates(db, date.today(), GBP="0.85")
    page = auth_client.get("/").text
    assert '≈ <span class="amount ">£850.00</span>' in page
    assert f"not converted: no USD→GBP rate within 7 days of {date.today().day} {date.today():%b %Y}" in page
    assert '<span class="amount ">£1,350.00</span>' in page and "excluding" in page


def test_converting_more_currencies_costs_no_more_statements(auth_client, db, user, statements_of):
    _accounts(db, user)
    yesterday = date.today() - timedelta(days=1)
    _rates(db, yesterday, GBP="0.86008", USD="1.0921")
    before, _ = statements_of(lambda: auth_client.get("/"))
    factories.create_account(db.session, user, "Konto", currency="CHF", opening_balance=Decimal("10"))
    factories.create_account(db.session, user, "Yen", currency="JPY", opening_balance=Decimal("1000"))
    _rates(db, yesterday, CHF="0.9299", JPY="158.35")
    after, page = statements_of(lambda: auth_client.get("/"))
    assert "≈ " in page.text and "not converted" not in page.text
    assert after == before
