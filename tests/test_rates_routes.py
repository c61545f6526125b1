"""The rates page (hand entry) and the home-currency preferences, as a user sees them."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from dashboard.models import AuditEvent
from dashboard.models.rates import ExchangeRate
from dashboard.rates.preferences import home_currency
from dashboard.rates.services import own_rates
from tests import factories


def test_a_rate_entered_by_hand_is_the_users_own_and_listed(auth_client, db, user):
    page = auth_client.get("/rates")
    assert page.status_code == 200 and "Enter a rate" in page.text and "You have entered no rates." in page.text
    saved = auth_client.post("/rates", data={"base": "usd", "quote": "GBP", "date": "2024-02-03", "rate": "0.7875"},
                             follow_redirects=True)
    assert "Saved: 1 USD = 0.7875 GBP on 03 Feb 2024." in saved.text and "0.7875" in saved.text
    rate = db.session.scalar(select(ExchangeRate))
    assert (rate.owner_id, rate.base, rate.quote, rate.date, rate.rate, rate.source) == (
        user.id, "USD", "GBP", date(2024, 2, 3), Decimal("0.7875"), "manual")
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "rate.set"
    assert own_rates(db.session, factories.create_user(db.session, "bob@example.com").id) == []


@pytest.mark.parametrize("values, message", [
    ({"base": "USD", "quote": "USD", "rate": "1"}, "A rate needs two different currencies."),
    ({"base": "ZZZ", "rate": "1"}, "ISO 4217 currency code"),
    ({"rate": "-2"}, "Not a valid rate"),
    ({"rate": "1.12345678901"}, "more than 10 decimal places"),
    ({"rate": "lots"}, "Not a valid rate"),
    ({"date": "3 Feb"}, "Give the date the rate is for."),
])
def test_a_bad_rate_is_refused_and_nothing_stored(auth_client, db, values, message):
    data = {"base": "USD", "quote": "GBP", "date": "2024-02-03", "rate": "0.7875", **values}
    refused = auth_client.post("/rates", data=data)
    assert refused.status_code == 400 and message in refused.text
    assert db.session.scalar(select(ExchangeRate)) is None


def test_home_currency_defaults_to_the_first_account_then_the_choice(auth_client, db, user):
    factories.create_account(db.session, user, "Girokonto", currency="EUR")
    factories.create_account(db.session, user, "Current", currency="GBP")
    page = auth_client.get("/settings/preferences")
    assert page.status_code == 200 and 'value="EUR"' in page.text
    saved = auth_client.post("/settings/preferences", data={"home_currency": "gbp", "income_conversion": "monthly"},
                             follow_redirects=True)
    assert "Preferences saved." in saved.text
    db.session.refresh(user)
    assert user.preferences["home_currency"] == "GBP" and user.preferences["income_conversion"] == "monthly"
    refused = auth_client.post("/settings/preferences", data={"home_currency": "pounds", "income_conversion": "daily"})
    assert refused.status_code == 400 and "ISO 4217" in refused.text


def test_home_currency_defaults_from_the_locale_before_the_accounts(db, user):
    factories.create_account(db.session, user, "Checking", currency="USD")
    user.preferences = {"locale": "de_CH"}
    assert home_currency(db.session, user) == "CHF"
    user.preferences = {}
    assert home_currency(db.session, user) == "USD"
