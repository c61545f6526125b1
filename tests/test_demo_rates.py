"""The demo's exchange rates: a new user of `make run` sees the euro account converted into pounds."""
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from dashboard.access import Scope
from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD, HISTORY_DAYS, seed_demo
from dashboard.models import Account, ExchangeRate, User
from dashboard.rates.networth import net_worth
from dashboard.rates.preferences import IncomeConversion, home_currency
from dashboard.rates.reports import converted_income_and_expenses
from dashboard.reports.periods import Period
from tests import factories

TODAY = date(2026, 3, 4)  # a Wednesday


def _demo(db):
    seed_demo(db.session, 300, today=TODAY)
    return db.session.scalar(select(User).where(User.email == DEMO_EMAIL))


def _rates(db, owner_id):
    return db.session.execute(select(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.date, ExchangeRate.rate)
                              .where(ExchangeRate.owner_id == owner_id)
                              .order_by(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.date)).all()


def test_the_demo_has_a_realistic_rate_for_every_weekday_of_its_history(db):
    demo = _demo(db)
    held = set(db.session.scalars(select(Account.currency).where(Account.owner_id == demo.id)))
    assert held == {"GBP", "EUR"} and home_currency(db.session, demo) == "GBP"
    rates = _rates(db, demo.id)
    pounds = [r for r in rates if r.quote == "GBP"]
    weekdays = [TODAY - timedelta(days=n) for n in range(HISTORY_DAYS + 8) if (TODAY - timedelta(days=n)).weekday() < 5]
    assert sorted(r.date for r in pounds) == sorted(weekdays)
    assert all(Decimal("0.80") < r.rate < Decimal("0.92") for r in pounds)
    assert all(Decimal("1.00") < r.rate < Decimal("1.22") for r in rates if r.quote == "USD")
    assert all(r.rate.as_tuple().exponent >= -5 for r in rates)  # as the ECB publishes them
    # published rates are nobody's to change: the demo's are its user's own
    assert db.session.scalar(select(ExchangeRate).where(ExchangeRate.owner_id.is_(None))) is None


def test_the_demo_rates_are_the_same_every_time_and_replaced_not_added(db):
    demo = _demo(db)
    first = _rates(db, demo.id)
    again = _demo(db)
    assert _rates(db, again.id) == first


def test_the_demo_net_worth_and_reports_convert_completely(db):
    demo = _demo(db)
    scope = Scope.of_user(demo.id)
    worth = net_worth(db.session, scope, "GBP", TODAY, 7)
    euro = worth.holding("EUR")
    assert worth.total is not None and euro.rate.day == TODAY and euro.converted != euro.balance
    saturday = net_worth(db.session, scope, "GBP", date(2026, 2, 28), 7).holding("EUR")
    assert saturday.rate.day == date(2026, 2, 27)  # Friday's rate
    assert net_worth(db.session, scope, "USD", TODAY, 7).total is not None  # through the euro
    year = Period(date(2025, 4, 1), date(2026, 3, 1))
    for conversion in IncomeConversion:
        report = converted_income_and_expenses(db.session, scope, year, "GBP", conversion, 7, TODAY)
        assert report.complete and report.expenses > 0


def test_a_new_demo_user_sees_the_euro_account_in_pounds_on_the_dashboard(client, db):
    seed_demo(db.session, 100)
    factories.log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    page = client.get("/").text
    assert "Net worth in GBP at today's rates" in page
    assert "1 EUR = 0." in page and "not converted" not in page
