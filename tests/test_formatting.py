"""The template filters that format every figure, called as the templates call them."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from flask import render_template_string

from config import TestingConfig as TestConfig
from dashboard import create_app


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
