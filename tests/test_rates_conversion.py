"""Conversion at the rate of a date: exact, rounded once as stated, and a missing or stale rate said."""
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st
from sqlalchemy import select

from dashboard.audit import Actor
from dashboard.models.rates import ExchangeRate
from dashboard.rates.conversion import MissingRate, RateBook, load_rate_book, minor_unit
from dashboard.rates.files import PublishedRate
from dashboard.rates.services import set_own_rate, store_published_rates
from tests import factories

D = Decimal
JAN = date(2024, 1, 5)


def _book(*rows, max_age_days=7):
    return RateBook([(b, q, d, D(r), False) for b, q, d, r in rows], max_age_days)


ECB_DAY = _book(("EUR", "USD", JAN, "1.0921"), ("EUR", "GBP", JAN, "0.86008"), ("EUR", "JPY", JAN, "158.35"))


def test_cross_rate_through_the_euro_is_the_exact_quotient():
    used = ECB_DAY.rate("USD", "GBP", JAN)
    assert used.exact == Fraction(D("0.86008")) / Fraction(D("1.0921")) and used.via == "EUR"
    # 1000 USD = 1000 × 0.86008 / 1.0921 = 787.5469279... GBP, rounded half to even to the penny
    assert used.convert(D("1000")) == D("787.55")
    assert ECB_DAY.rate("GBP", "JPY", JAN).convert(D("100")) == D("18411")  # no decimals in yen
    assert "1 USD = 0.7875469279 GBP on 5 Jan 2024 (via EUR)" == used.describe()


def test_direct_and_inverse_rates_and_half_even_rounding():
    book = _book(("USD", "GBP", JAN, "0.5"))
    assert book.rate("USD", "GBP", JAN).convert(D("0.01")) == D("0.00")  # 0.005 rounds to even
    assert book.rate("USD", "GBP", JAN).convert(D("0.03")) == D("0.02")  # 0.015 rounds to even
    assert book.rate("GBP", "USD", JAN).convert(D("10.00")) == D("20.00")
    assert book.rate("GBP", "GBP", JAN).convert(D("1.23")) == D("1.23")


def test_the_latest_rate_within_the_allowed_age_is_used_and_an_older_one_is_flagged():
    book = _book(("EUR", "USD", date(2024, 1, 26), "1.0"), ("EUR", "GBP", date(2024, 1, 26), "0.8"))
    used = book.rate("USD", "GBP", date(2024, 2, 2))  # 7 days after the last rate: still near enough
    assert used.day == date(2024, 1, 26)
    with pytest.raises(MissingRate) as missing:
        book.rate("USD", "GBP", date(2024, 2, 3))
    assert str(missing.value) == "no USD→GBP rate within 7 days of 3 Feb 2024"
    with pytest.raises(MissingRate):
        book.rate("USD", "GBP", date(2024, 1, 25))  # before any rate: never a later one
    with pytest.raises(MissingRate) as unknown:
        book.rate("USD", "CHF", date(2024, 1, 26))
    assert "no USD→CHF rate" in str(unknown.value)


def test_a_users_own_rate_replaces_the_published_one_of_that_day():
    book = RateBook([("USD", "GBP", JAN, D("0.78"), False), ("USD", "GBP", JAN, D("0.80"), True)])
    assert book.rate("USD", "GBP", JAN).value == D("0.8")


amounts = st.decimals(min_value=D("-1000000000"), max_value=D("1000000000"), places=2)
rates = st.decimals(min_value=D("0.0001"), max_value=D("20000"), places=4)


@given(amount=amounts, euro_usd=rates, euro_gbp=rates)
def test_a_balance_converted_and_back_differs_by_at_most_the_rounding(amount, euro_usd, euro_gbp):
    book = _book(("EUR", "USD", JAN, euro_usd), ("EUR", "GBP", JAN, euro_gbp))
    there = book.rate("USD", "GBP", JAN)
    back = book.rate("GBP", "USD", JAN).convert(there.convert(amount))
    # The first rounding (half a penny) is carried back at the inverse rate; the second adds half a cent.
    bound = Fraction(minor_unit("GBP")) / 2 / there.exact + Fraction(minor_unit("USD")) / 2
    assert abs(Fraction(back) - Fraction(amount)) <= bound


@given(amount=amounts, rate=rates)
def test_conversion_is_the_exact_product_rounded_once(amount, rate):
    converted = _book(("USD", "GBP", JAN, rate)).rate("USD", "GBP", JAN).convert(amount)
    assert abs(Fraction(converted) - Fraction(amount) * Fraction(rate)) <= Fraction(1, 200)
    assert converted == converted.quantize(D("0.01"))


def test_rates_are_stored_exactly_and_converted_alike_on_both_engines(db, user):
    rates = [PublishedRate(JAN, "EUR", "USD", D("1.0921"), "ecb"),
             PublishedRate(JAN, "EUR", "GBP", D("0.86008"), "ecb"),
             PublishedRate(JAN, "EUR", "IDR", D("16912.1234567891"), "ecb")]
    stored = store_published_rates(db.session, Actor.system(), rates, "test")
    assert (stored.added, stored.changed) == (3, 0)
    db.session.expire_all()
    assert {r.quote: r.rate for r in db.session.scalars(select(ExchangeRate))}["IDR"] == D("16912.1234567891")
    book = load_rate_book(db.session, user.id, ["USD", "GBP", "IDR"], JAN, JAN)
    assert book.rate("USD", "GBP", JAN).convert(D("1000")) == D("787.55")
    assert book.rate("GBP", "IDR", JAN).convert(D("1")) == D("19663")  # CLDR gives the rupiah no decimals
    changed = PublishedRate(JAN, "EUR", "GBP", D("0.9"), "ecb")
    again = store_published_rates(db.session, Actor.system(), [rates[0], changed], "test")
    assert (again.added, again.changed, again.unchanged) == (0, 1, 1)


def test_own_rates_are_seen_by_their_owner_only(db, user):
    bob = factories.create_user(db.session, "bob@example.com")
    store_published_rates(db.session, Actor.system(), [PublishedRate(JAN, "USD", "GBP", D("0.78"), "csv")], "t")
    set_own_rate(db.session, Actor(user.id), user.id, "USD", "GBP", JAN, D("0.8"))
    assert load_rate_book(db.session, user.id, ["USD"], JAN, JAN).rate("USD", "GBP", JAN).value == D("0.8")
    assert load_rate_book(db.session, bob.id, ["USD"], JAN, JAN).rate("USD", "GBP", JAN).value == D("0.78")
