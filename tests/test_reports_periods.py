"""Report periods as a person meets them: one default everywhere, whole months, "Last month" offered."""
import re
from datetime import date

import pytest

from dashboard.reports.periods import DEFAULT_PRESET, Period, preset_period

REPORTS = ["/reports/income-and-expenses", "/reports/categories", "/reports/profit-and-loss", "/reports/balances"]


def test_on_the_first_of_a_month_the_default_is_twelve_months_that_are_over():
    assert preset_period(DEFAULT_PRESET, date(2026, 12, 1)) == Period(date(2025, 12, 1), date(2026, 11, 1))
    assert preset_period(DEFAULT_PRESET, date(2026, 12, 31)) == Period(date(2025, 12, 1), date(2026, 11, 1))
    assert preset_period("last_month", date(2026, 1, 1)) == Period(date(2025, 12, 1), date(2025, 12, 1))


@pytest.mark.parametrize("url", REPORTS)
def test_every_report_opens_on_the_same_default_and_offers_last_month(auth_client, url):
    html = auth_client.get(url).get_data(as_text=True)
    selected = re.search(r'<select[^>]*name="period"[^>]*>.*?<option selected value="([^"]+)"', html, re.S)
    assert selected and selected.group(1) == DEFAULT_PRESET
    assert ">Last month</option>" in html
    expected = preset_period(DEFAULT_PRESET, date.today())
    assert expected.label in html and date.today().strftime("%B %Y") not in expected.label


@pytest.mark.parametrize("url", REPORTS[:3])
def test_a_report_without_a_step_field_is_not_warned_about_one(auth_client, url):
    html = auth_client.get(url + "?step=day").get_data(as_text=True)
    assert "Not a valid choice" not in html and 'name="step"' not in html


def test_the_balances_report_still_says_when_its_step_is_wrong(auth_client):
    html = auth_client.get("/reports/balances?step=hour").get_data(as_text=True)
    assert "Balances: Not a valid choice" in html


def test_a_fall_in_spending_is_not_shown_in_red(auth_client, db, user):
    from tests import factories

    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-05", "-80", "Shop", "Groceries"),
                                                     ("2024-02-05", "-20", "Shop", "Groceries")])
    html = auth_client.get("/reports/categories?period=custom&start=2024-02&end=2024-02").get_data(as_text=True)
    row = re.search(r'<th scope="row">\s*<a[^>]*>Groceries</a>.*?</tr>', html, re.S) or \
        re.search(r"Groceries.*?</tr>", html, re.S)
    assert "-£60.00" in row.group(0) and "-75.0%" in row.group(0)
    assert 'text-danger">-£60.00' not in row.group(0)
