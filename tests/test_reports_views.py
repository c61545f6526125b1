"""dashboard/reports/views.py: the category links a report builds without a url_for each."""
from datetime import date

import pytest
from flask import url_for

import config
from dashboard import create_app
from dashboard.reports.forms import ReportFilters
from dashboard.reports.periods import preset_period
from dashboard.reports.views import TRANSACTIONS_ENDPOINT, transactions_url

CATEGORIES = ["Groceries", "", "Eating out", "Food & drink/Bars", 'Weird <cat> "x" #1', "Café 100%", "a+b=c?d",
              "Tom's (old) *, ; : @ $ !", "tab\tnew\nline", "日本"]


@pytest.fixture(scope="module")
def request_context():
    app = create_app(config.TestingConfig())
    with app.test_request_context("/reports/categories"):
        yield


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("account_id", [None, 12])
def test_a_category_link_is_the_url_url_for_builds(request_context, category, account_id):
    filters = ReportFilters(preset_period("last_year", date(2025, 3, 4)), "last_year")
    args = {"category": category or "-", "date_from": filters.period.start_date.isoformat(),
            "date_to": filters.period.end_date.isoformat(), "direction": "out"}
    if account_id is not None:
        args["account"] = account_id
    assert transactions_url(url_for(TRANSACTIONS_ENDPOINT), category, filters, account_id) == \
        url_for(TRANSACTIONS_ENDPOINT, **args)
