"""Income and expenses in the home currency: the sum of each currency's parts converted, a gap said."""
from datetime import date
from decimal import Decimal
from fractions import Fraction

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.rates.conversion import rounded
from dashboard.rates.files import PublishedRate
from dashboard.rates.preferences import IncomeConversion
from dashboard.rates.reports import converted_income_and_expenses, converted_spending_by_category
from dashboard.rates.services import store_published_rates
from dashboard.reports.periods import Period
from tests import factories

D = Decimal
JAN, FEB = date(2024, 1, 1), date(2024, 2, 1)
TODAY = date(2024, 3, 15)
RATES = {date(2024, 1, 2): ("0.86500", "1.0956"), date(2024, 1, 3): ("0.86238", "1.0919"),
         date(2024, 1, 5): ("0.86008", "1.0921")}  # EUR→GBP, EUR→USD


def _world(db, user):
    euro = factories.create_account(db.session, user, "Girokonto", currency="EUR")
    dollars = factories.create_account(db.session, user, "Checking", currency="USD")
    pounds = factories.create_account(db.session, user, "Current", currency="GBP")
    factories.add_transactions(db.session, euro, [("2024-01-02", "1000.00", "Gehalt"), ("2024-01-03", "-33.33", "Bahn"),
                                                  ("2024-01-06", "-10.00", "Markt")])  # a Saturday: Friday's rate
    factories.add_transactions(db.session, dollars, [("2024-01-05", "-99.99", "Flights")])
    factories.add_transactions(db.session, pounds, [("2024-01-03", "-20.00", "Lunch"),
                                                    ("2024-02-10", "5.00", "Refund")])
    rates = []
    for day, (gbp, usd) in RATES.items():
        rates += [PublishedRate(day, "EUR", "GBP", D(gbp), "ecb"), PublishedRate(day, "EUR", "USD", D(usd), "ecb")]
    store_published_rates(db.session, Actor.system(), rates, "test")


def _report(db, user, conversion):
    return converted_income_and_expenses(db.session, Scope.of_user(user.id), Period(JAN, FEB), "GBP", conversion,
                                         7, TODAY)


def test_daily_conversion_is_the_sum_of_each_days_part_converted_at_that_days_rate(db, user):
    _world(db, user)
    report = _report(db, user, IncomeConversion.DAILY)
    january = report.months[0]

    def eur(amount, day):
        return rounded(Fraction(D(amount)) * Fraction(D(RATES[day][0])), "GBP")

    def usd(amount, day):
        gbp, usd_rate = RATES[day]
        return rounded(Fraction(D(amount)) * Fraction(D(gbp)) / Fraction(D(usd_rate)), "GBP")

    assert january.income == eur("1000.00", date(2024, 1, 2)) == D("865.00")
    assert january.expenses == (eur("33.33", date(2024, 1, 3)) + eur("10.00", date(2024, 1, 5))
                                + usd("99.99", date(2024, 1, 5)) + D("20.00"))
    assert january.rates["USD"].describe() == "1 USD = 0.7875469279 GBP on 5 Jan 2024 (via EUR)"
    february = report.months[1]
    assert (february.income, february.expenses, february.unconverted) == (D("5.00"), D("0"), [])
    assert report.complete and report.net == report.income - report.expenses


def test_monthly_conversion_uses_the_average_of_the_months_published_rates(db, user):
    _world(db, user)
    january = _report(db, user, IncomeConversion.MONTHLY).months[0]
    average = sum(Fraction(D(gbp)) for gbp, _ in RATES.values()) / 3
    assert january.income == rounded(Fraction(1000) * average, "GBP")
    assert january.expenses == (rounded(Fraction(D("43.33")) * average, "GBP")
                                + rounded(Fraction(D("99.99")) * sum(Fraction(D(g)) / Fraction(D(u))
                                                                     for g, u in RATES.values()) / 3, "GBP")
                                + D("20.00"))
    assert "the average of 3 daily rates in Jan 2024" in january.rates["EUR"].describe()


def test_a_part_without_a_rate_is_kept_apart_unconverted_and_said(db, user):
    _world(db, user)
    card = factories.create_account(db.session, user, "Card", currency="CHF", type="credit_card")
    factories.add_transactions(db.session, card, [("2024-01-04", "-50.00", "Ski pass")])
    january = _report(db, user, IncomeConversion.DAILY).months[0]
    [gap] = january.unconverted
    assert (gap.currency, gap.expenses, str(gap.reason)) == ("CHF", D("50.00"),
                                                              "no CHF→GBP rate within 7 days of 4 Jan 2024")
    assert "CHF" not in january.rates


def test_the_report_page_switches_to_the_home_currency(auth_client, db, user):
    _world(db, user)
    user.preferences = {"home_currency": "GBP"}
    args = "period=custom&start=2024-01&end=2024-02"
    plain = auth_client.get(f"/reports/income-and-expenses?{args}")
    assert plain.status_code == 200 and "Show in GBP" in plain.text and "income-expenses-converted" not in plain.text
    converted = auth_client.get(f"/reports/income-and-expenses?{args}&in_home=1")
    assert converted.status_code == 200 and 'id="income-expenses-converted"' in converted.text
    assert "Show each currency apart" in converted.text and "£865.00" in converted.text
    assert 'title="1 USD = 0.7875469279 GBP on 5 Jan 2024 (via EUR)"' in converted.text


def test_spending_by_category_in_the_home_currency_is_the_sum_of_its_parts_converted(db, user):
    _world(db, user)
    report = converted_spending_by_category(db.session, Scope.of_user(user.id), Period(JAN, FEB), "GBP",
                                            IncomeConversion.DAILY, 7, TODAY)
    expenses = _report(db, user, IncomeConversion.DAILY)
    assert report.spent == expenses.expenses  # every row here is uncategorised: one category, the same parts
    [uncategorised] = report.categories
    assert uncategorised.category == "" and set(uncategorised.rates) == {"EUR", "USD", "GBP"}
    monthly = converted_spending_by_category(db.session, Scope.of_user(user.id), Period(JAN, FEB), "GBP",
                                             IncomeConversion.MONTHLY, 7, TODAY)
    assert monthly.spent == _report(db, user, IncomeConversion.MONTHLY).expenses


def test_the_categories_page_switches_to_the_home_currency(auth_client, db, user):
    _world(db, user)
    user.preferences = {"home_currency": "GBP"}
    page = auth_client.get("/reports/categories?period=custom&start=2024-01&end=2024-02&in_home=1")
    assert page.status_code == 200 and 'id="categories-converted"' in page.text
    assert "Show each currency apart" in page.text


def test_balances_in_the_home_currency_are_each_points_per_currency_figures_converted(auth_client, db, user):
    _world(db, user)
    user.preferences = {"home_currency": "GBP"}
    page = auth_client.get("/reports/balances?period=custom&start=2024-01&end=2024-01&step=day&in_home=1").text
    assert 'id="balances-converted"' in page
    # 5 Jan: EUR 966.67 × 0.86008 = 831.41; USD -99.99 at 0.86008/1.0921 = -78.75; GBP -20.00
    assert "£732.66" in page, page[page.find("balances-converted"):][:2500]
    assert "not converted: " in page  # the 1st: no rate yet


def test_each_converted_figure_shows_its_currencys_original_and_the_rates_beside_it(auth_client, db, user):
    from tests.html_tables import page_tables
    _world(db, user)
    user.preferences = {"home_currency": "GBP"}
    args = "period=custom&start=2024-01&end=2024-02&in_home=1"
    months = page_tables(auth_client.get(f"/reports/income-and-expenses?{args}").text).tables
    january = months["income-expenses-converted"][1]
    assert january[:2] == ["Jan 2024", "£865.00"]
    # three days of euro rows at three rates (Saturday's at Friday's); the dollars at one cross rate
    assert january[4] == ("€1,000.00 in, €43.33 out at 3 rates, 0.86008 to 0.865"
                          "US$0.00 in, US$99.99 out at 0.7875469279")
    spending = page_tables(auth_client.get(f"/reports/categories?{args}").text).tables["categories-converted"]
    assert spending[1][2] == "€43.33 at 2 rates, 0.86008 to 0.86238US$99.99 at 0.7875469279"
    points = page_tables(auth_client.get("/reports/balances?period=custom&start=2024-01&end=2024-01&step=day"
                                         "&in_home=1").text).tables["balances-converted"]
    fifth = next(row for row in points if row[0] == "05 Jan 2024")
    assert fifth[1:] == ["£732.66", "€966.67 at 0.86008-US$99.99 at 0.7875469279"]


def test_the_currency_filter_keeps_the_converted_report_to_that_currency(auth_client, db, user):
    from tests.html_tables import page_tables
    _world(db, user)
    user.preferences = {"home_currency": "GBP"}
    for conversion in IncomeConversion:
        only_usd = converted_income_and_expenses(db.session, Scope.of_user(user.id), Period(JAN, FEB), "GBP",
                                                 conversion, 7, TODAY, held_currency="USD")
        assert set(only_usd.months[0].parts) == {"USD"} and only_usd.income == 0
        spent = converted_spending_by_category(db.session, Scope.of_user(user.id), Period(JAN, FEB), "GBP",
                                               conversion, 7, TODAY, held_currency="USD")
        assert spent.spent == only_usd.expenses
    page = auth_client.get("/reports/income-and-expenses?period=custom&start=2024-01&end=2024-02&currency=USD"
                           "&in_home=1").text
    january = page_tables(page).tables["income-expenses-converted"][1]
    assert january[1:4] == ["£0.00", "£78.75", "-£78.75"] and "€" not in january[4]
