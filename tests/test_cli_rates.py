"""`flask rates import|fetch` and `flask networth`, as DESIGN.md states them."""
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard import jobs
from dashboard.models.rates import ExchangeRate
from tests import factories
from tests.ecb_server import ecb_server
from tests.redis_server import redis_url

ECB = Path(__file__).parent / "fixtures" / "ecb"


@pytest.fixture(scope="module")
def redis():
    with redis_url() as url:
        yield url


@pytest.fixture
def app_config(request):
    return {"REDIS_URL": request.getfixturevalue("redis")} if "redis" in request.fixturenames else {}


def _rates(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ExchangeRate))


def test_import_ecb_history_then_again_adds_nothing(runner, db):
    first = runner.invoke(args=["rates", "import", str(ECB / "eurofxref-hist.csv")])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "read 28 rates: added 28, changed 0, unchanged 0"
    again = runner.invoke(args=["rates", "import", str(ECB / "eurofxref-hist.csv")])
    assert again.output.strip() == "read 28 rates: added 0, changed 0, unchanged 28" and _rates(db) == 28
    plain = runner.invoke(args=["rates", "import", str(ECB / "rates-plain.csv")])
    assert plain.exit_code == 0 and "added 2" in plain.output


def test_import_refuses_a_bad_file_with_one_line_writing_nothing(runner, db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,USD,\n2024-01-05,1.09,\n2024-01-04,lots,\n")
    result = runner.invoke(args=["rates", "import", str(bad)])
    assert result.exit_code == 1 and result.output.strip() == "Error: line 3: 'lots' is not a rate"
    assert _rates(db) == 0


def test_fetch_reads_the_daily_xml_from_the_configured_url(runner, db):
    with ecb_server() as url:
        result = runner.invoke(args=["rates", "fetch", "--url", f"{url}/stats/eurofxref/eurofxref-daily.xml"])
    assert result.exit_code == 0, result.output
    assert "read 7 rates" in result.output and "added 7" in result.output
    usd = db.session.scalar(select(ExchangeRate).where(ExchangeRate.quote == "USD"))
    assert (usd.base, usd.date, usd.rate, usd.source) == ("EUR", date(2024, 1, 8), Decimal("1.0946"), "ecb")


@pytest.mark.parametrize("body, status, reason", [
    (b"gone", 404, "answered 404"),
    (b"<html>maintenance</html>", 200, "no rates found"),
])
def test_fetch_failures_are_one_line_and_store_nothing(runner, db, body, status, reason):
    with ecb_server(body, status) as url:
        result = runner.invoke(args=["rates", "fetch", "--url", url])
    assert result.exit_code == 1 and reason in result.output and "Traceback" not in result.output
    assert _rates(db) == 0


def test_fetch_from_a_dead_address_is_one_line(runner, db):
    result = runner.invoke(args=["rates", "fetch", "--url", "http://127.0.0.1:9/rates.xml"])
    assert result.exit_code == 1 and "could not fetch http://127.0.0.1:9/rates.xml: ConnectionError" in result.output


def test_fetch_enqueue_without_redis_says_so(runner, db):
    result = runner.invoke(args=["rates", "fetch", "--enqueue"])
    assert result.exit_code == 1 and "REDIS_URL" in result.output


def test_fetch_as_a_job_on_redis_then_a_worker_stores_the_rates(runner, db, redis, committed):
    with ecb_server() as url:
        queued = runner.invoke(args=["rates", "fetch", "--enqueue", "--url", url])
        assert queued.exit_code == 0 and "queued a rates fetch" in queued.output
        assert jobs.queue().count == 1 and _rates(db) == 0
        worked = runner.invoke(args=["worker", "--burst"])
    assert worked.exit_code == 0, worked.output
    assert _rates(db) == 7 and jobs.queue().count == 0


def _three_currencies(db, user):
    euro = factories.create_account(db.session, user, "Girokonto", currency="EUR", opening_balance=Decimal("1000"))
    pounds = factories.create_account(db.session, user, "Current", currency="GBP")
    card = factories.create_account(db.session, user, "Card", currency="USD", type="credit_card")
    factories.add_transactions(db.session, pounds, [("2024-01-02", "500.00", "Salary"),
                                                    ("2024-01-08", "-100.00", "Rent")])
    factories.add_transactions(db.session, card, [("2024-01-03", "-250.00", "Flights")])
    return euro, pounds, card


def test_networth_prints_one_row_per_currency_then_the_total(runner, db, user):
    _three_currencies(db, user)
    runner.invoke(args=["rates", "import", str(ECB / "eurofxref-hist.csv")])
    result = runner.invoke(args=["networth", "--user", user.email, "--in", "gbp", "--as-of", "2024-01-05"])
    assert result.exit_code == 0, result.output
    # 5 Jan 2024: EUR/GBP 0.86008, EUR/USD 1.0921. 1000 EUR = 860.08 GBP; -250 USD = -196.887... = -196.89 GBP
    assert result.output.splitlines() == [
        "currency,balance,rate,converted",
        "EUR,1000.00,0.86008,860.08",
        "GBP,500.00,1,500.00",
        "USD,-250.00,0.7875469279,-196.89",
        "total,,,1163.19",
    ]


def test_networth_uses_the_rate_of_the_date_or_the_latest_before_it(runner, db, user):
    _three_currencies(db, user)
    runner.invoke(args=["rates", "import", str(ECB / "eurofxref-hist.csv")])
    saturday = runner.invoke(args=["networth", "--user", user.email, "--in", "GBP", "--as-of", "2024-01-06"])
    assert "EUR,1000.00,0.86008,860.08" in saturday.output  # Friday's rate on the Saturday
    earlier = runner.invoke(args=["networth", "--user", user.email, "--in", "GBP", "--as-of", "2024-01-02"])
    assert "EUR,1000.00,0.865,865.00" in earlier.output and "USD,0.00," in earlier.output


def test_networth_exits_1_naming_the_pair_when_a_rate_is_missing(runner, db, user):
    _three_currencies(db, user)
    runner.invoke(args=["rates", "import", str(ECB / "eurofxref-hist.csv")])
    stale = runner.invoke(args=["networth", "--user", user.email, "--in", "GBP", "--as-of", "2024-02-03"])
    assert stale.exit_code == 1
    assert stale.output.strip() == ("Error: no EUR→GBP rate within 7 days of 3 Feb 2024; "
                                    "no USD→GBP rate within 7 days of 3 Feb 2024")


@pytest.mark.parametrize("args, reason", [
    (["--user", "nobody@example.com", "--in", "GBP"], "there is no user nobody@example.com"),
    (["--user", "alice@example.com", "--in", "ZZZ"], "is not an ISO 4217 currency code"),
    (["--user", "alice@example.com", "--in", "GBP", "--as-of", "yesterday"], "'yesterday' does not match"),
])
def test_networth_refuses_bad_arguments(runner, db, user, args, reason):
    result = runner.invoke(args=["networth", *args])
    assert result.exit_code != 0 and reason in result.output
