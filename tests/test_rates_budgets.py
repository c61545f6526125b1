"""Budgets in the home currency: every line converted at the month's rate beside its original, a gap said."""
from datetime import date
from decimal import Decimal
from fractions import Fraction

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.budgets.services import budget_report, set_budget
from dashboard.models import Category
from dashboard.rates.conversion import rounded
from dashboard.rates.files import PublishedRate
from dashboard.rates.reports import converted_budgets
from dashboard.rates.services import store_published_rates
from tests import factories
from tests.html_tables import page_tables

D = Decimal
JAN = date(2024, 1, 1)
EUR_GBP, EUR_USD = D("0.85900"), D("1.0905")  # the ECB's rates of 31 Jan 2024


def _budgets(db, user):
    """Food in EUR, Travel in USD, Rent in GBP, Ski in CHF (no rate), January 2024 with spending in each."""
    names = {}
    for name in ("Food", "Travel", "Rent", "Ski"):
        names[name] = Category(owner_id=user.id, name=name)
        db.session.add(names[name])
    db.session.flush()
    accounts = {code: factories.create_account(db.session, user, f"Account {code}", currency=code)
                for code in ("EUR", "USD", "GBP", "CHF")}
    factories.add_transactions(db.session, accounts["EUR"], [("2024-01-10", "-123.45", "Markt", "Food")])
    factories.add_transactions(db.session, accounts["USD"], [("2024-01-12", "-480.00", "Flights", "Travel")])
    factories.add_transactions(db.session, accounts["GBP"], [("2024-01-01", "-900.00", "Landlord", "Rent")])
    factories.add_transactions(db.session, accounts["CHF"], [("2024-01-20", "-75.00", "Pass", "Ski")])
    scope = Scope.of_user(user.id)
    for name, amount, code in (("Food", "300.00", "EUR"), ("Travel", "400.00", "USD"), ("Rent", "900.00", "GBP"),
                               ("Ski", "100.00", "CHF")):
        set_budget(db.session, scope, Actor(user.id), names[name], D(amount), code, JAN)
    store_published_rates(db.session, Actor.system(), [PublishedRate(date(2024, 1, 31), "EUR", "GBP", EUR_GBP, "ecb"),
                                                       PublishedRate(date(2024, 1, 31), "EUR", "USD", EUR_USD, "ecb")],
                          "test")
    return scope


def _gbp(amount: str, code: str) -> Decimal:
    rate = {"EUR": Fraction(EUR_GBP), "USD": Fraction(EUR_GBP) / Fraction(EUR_USD), "GBP": Fraction(1)}[code]
    return rounded(Fraction(D(amount)) * rate, "GBP")


def test_each_budget_line_is_converted_at_the_months_last_rate_and_the_totals_are_their_sum(db, user):
    scope = _budgets(db, user)
    report = budget_report(db.session, scope, 1, JAN, date(2024, 3, 1))
    converted = converted_budgets(db.session, scope, report, "GBP", 7, date(2024, 3, 1))
    lines = {item.line.label: item for item in converted.lines}
    assert converted.day == date(2024, 1, 31)
    assert (lines["Food"].available, lines["Food"].spent, lines["Food"].remaining) == (
        _gbp("300.00", "EUR"), _gbp("123.45", "EUR"), _gbp("176.55", "EUR")) == (D("257.70"), D("106.04"), D("151.66"))
    assert lines["Travel"].spent == _gbp("480.00", "USD") == D("378.10")
    assert lines["Travel"].remaining == _gbp("-80.00", "USD") < 0
    assert lines["Travel"].rate.describe() == "1 USD = 0.7877120587 GBP on 31 Jan 2024 (via EUR)"
    assert lines["Rent"].spent == D("900.00")
    assert str(lines["Ski"].missing) == "no CHF→GBP rate within 7 days of 31 Jan 2024"
    assert lines["Ski"].spent is None and not converted.complete
    shown = [lines[name] for name in ("Food", "Travel", "Rent")]
    assert converted.spent == sum(line.spent for line in shown)  # the CHF line is not mixed in
    assert converted.available == sum(line.available for line in shown)


def test_a_running_month_converts_at_todays_rate(db, user):
    scope = _budgets(db, user)
    report = budget_report(db.session, scope, 1, JAN, date(2024, 1, 31))
    assert converted_budgets(db.session, scope, report, "GBP", 7, date(2024, 1, 31)).day == date(2024, 1, 31)
    early = budget_report(db.session, scope, 1, JAN, date(2024, 1, 15))
    missing = converted_budgets(db.session, scope, early, "GBP", 7, date(2024, 1, 15))
    # no rate within a week before 15 Jan: every foreign line is said, the pound line needs none
    assert {item.line.currency for item in missing.lines if item.missing} == {"EUR", "USD", "CHF"}
    assert [item.line.label for item in missing.lines if not item.missing] == ["Rent"]


def test_the_budgets_page_switches_to_the_home_currency(auth_client, db, user):
    _budgets(db, user)
    user.preferences = {"home_currency": "GBP"}
    db.session.flush()
    plain = auth_client.get("/budgets/?month=2024-01")
    assert plain.status_code == 200 and "Show in GBP" in plain.text and "budgets-converted" not in plain.text
    page = auth_client.get("/budgets/?month=2024-01&in_home=1")
    assert page.status_code == 200 and "Show each currency apart" in page.text
    rows = {row[0]: row[1:] for row in page_tables(page.text).tables["budgets-converted"][1:]}
    assert rows["Food"][:3] == ["£257.70", "£106.04", "£151.66"]
    assert rows["Food"][3] == ("€300.00 available, €123.45 spent, €176.55 remaining at "
                               "1 EUR = 0.859 GBP on 31 Jan 2024")
    assert rows["Travel"][:3] == ["£315.08", "£378.10", "-£63.02"]
    assert rows["Ski"][0] == "not converted"
    assert "no CHF→GBP rate within 7 days of 31 Jan 2024" in rows["Ski"][1]
    assert rows["Total (converted lines only)"][:3] == ["£1,472.78", "£1,384.14", "£88.64"]
    # the month links keep the switch on
    assert "/budgets/?month=2023-12&amp;in_home=1" in page.text
