"""The template filters that format every figure, called as the templates call them."""
import random
from datetime import date, datetime
from decimal import Decimal

import pytest
from babel import localedata
from babel.numbers import format_currency
from flask import render_template_string

from config import TestingConfig as TestConfig
from dashboard import create_app
from dashboard.formatting import DISPLAY_LOCALE, money_format


@pytest.fixture(scope="module")
def render():
    app = create_app(TestConfig())

    def render(template: str, **context) -> str:
        with app.app_context():
            return render_template_string(template, **context)

    return render


@pytest.mark.parametrize("value, shown", [(0, "0"), (999, "999"), (1234567, "1,234,567"), (None, "—")])
def test_number_groups_thousands(render, value, shown):
    assert render("{{ value|number }}", value=value) == shown


@pytest.mark.parametrize("value, shown", [(date(2025, 3, 1), "Mar 2025"), (date(1999, 12, 31), "Dec 1999"),
                                          (None, "—")])
def test_month_names_the_month_and_year(render, value, shown):
    assert render("{{ value|month }}", value=value) == shown


@pytest.mark.parametrize("amount, currency, shown", [
    (Decimal("-1234.5"), "GBP", "-£1,234.50"), (Decimal("1500"), "JPY", "JP¥1,500"), (None, "GBP", "—"),
])
def test_money_uses_the_currencys_symbol_and_places(render, amount, currency, shown):
    assert render("{{ amount|money(currency) }}", amount=amount, currency=currency) == shown


def test_short_date_shows_a_time_only_for_a_moment(render):
    assert render("{{ d|short_date }} / {{ t|short_date }}", d=date(2025, 1, 2),
                  t=datetime(2025, 1, 2, 13, 5)) == "02 Jan 2025 / 02 Jan 2025 13:05"


def _amounts() -> list[Decimal]:
    """Edges (signed zero, half-way cases, the largest Money) and a spread of four-place amounts of both signs."""
    rng = random.Random(10)
    edges = ["0", "-0", "0.005", "-0.005", "0.015", "0.025", "-0.0050", "0.0001", "-1234.5", "1E+3", "999.995",
             "-999.995", "123456789.1234", "-922337203685477.5807", "1500", "-7"]
    return [Decimal(edge) for edge in edges] + [Decimal(rng.randint(-10**13, 10**13)).scaleb(-4) for _ in range(24)]


AMOUNTS = _amounts()


@pytest.mark.parametrize("currency", ["GBP", "JPY", "BHD", "INR", "ZZZ"])
def test_prebuilt_money_format_gives_what_format_currency_gives_in_every_locale(currency):
    for locale in localedata.locale_identifiers():
        formatter = money_format(currency, locale)
        for amount in AMOUNTS:
            assert formatter.format(amount) == format_currency(amount, currency, locale=locale, currency_digits=True), \
                (locale, currency, amount)


def test_money_filter_formats_in_the_display_locale_as_format_currency_does(render):
    for currency in ["GBP", "USD", "EUR", "JPY", "KWD", "SEK"]:
        for amount in AMOUNTS:
            assert render("{{ amount|money(currency) }}", amount=amount, currency=currency) == \
                format_currency(amount, currency, locale=DISPLAY_LOCALE, currency_digits=True)
