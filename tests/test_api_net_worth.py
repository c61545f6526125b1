"""GET /api/v1/reports/net-worth?currency=GBP: converted figures with the rate each used."""
from decimal import Decimal

from dashboard.api.tokens import create_token
from dashboard.audit import Actor
from tests.test_cli_rates import ECB, _three_currencies


def test_net_worth_in_a_currency_gives_each_rate_used(client, runner, db, user):
    _three_currencies(db, user)
    runner.invoke(args=["rates", "import", str(ECB / "eurofxref-hist.csv")])
    headers = {"Authorization": f"Bearer {create_token(db.session, Actor.system(), user, 'script').secret}"}
    body = client.get("/api/v1/reports/net-worth?currency=GBP&as_of=2024-01-05", headers=headers).json
    assert body["currency"] == "GBP" and body["as_of"] == "2024-01-05" and body["total"] == "1163.19"
    usd = next(h for h in body["data"] if h["currency"] == "USD")
    assert usd == {"currency": "USD", "balance": "-250.00", "converted": "-196.89", "rate": "0.7875469279",
                   "rate_date": "2024-01-05", "via": "EUR", "missing": None}
    stale = client.get("/api/v1/reports/net-worth?currency=GBP&as_of=2024-03-01", headers=headers).json
    assert stale["total"] is None
    assert next(h for h in stale["data"] if h["currency"] == "EUR")["missing"] == \
        "no EUR→GBP rate within 7 days of 1 Mar 2024"
    refused = client.get("/api/v1/reports/net-worth?currency=ZZZ", headers=headers)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert Decimal(body["data"][0]["rate"]) == Decimal("0.86008")


def _token_headers(db, user):
    return {"Authorization": f"Bearer {create_token(db.session, Actor.system(), user, 'script').secret}"}


def test_the_report_endpoints_give_converted_figures_with_the_rates_used(client, db, user):
    from tests.test_rates_reports import _world
    _world(db, user)
    headers = _token_headers(db, user)
    args = "period=custom&start=2024-01&end=2024-02"
    plain = client.get(f"/api/v1/reports/income-and-expenses?{args}", headers=headers).json
    assert plain["converted"] is None and {r["currency"] for r in plain["data"]} == {"EUR", "GBP", "USD"}
    body = client.get(f"/api/v1/reports/income-and-expenses?{args}&convert_to=GBP", headers=headers).json
    january = body["converted"]["months"][0]
    assert body["converted"]["currency"] == "GBP" and body["converted"]["complete"] is True
    assert january["income"] == "865.00" and january["unconverted"] == []
    usd = next(r for r in january["rates"] if r["currency"] == "USD")
    assert usd == {"currency": "USD", "rate": "0.7875469279", "rate_date": "2024-01-05", "via": "EUR", "days": 1,
                   "description": "1 USD = 0.7875469279 GBP on 5 Jan 2024 (via EUR)"}
    spending = client.get(f"/api/v1/reports/categories?{args}&convert_to=GBP", headers=headers).json["converted"]
    assert spending["spent"] == body["converted"]["expenses"]  # every row is uncategorised here
    assert {r["currency"] for r in spending["categories"][0]["rates"]} == {"EUR", "USD"}  # GBP needs no rate
    points = client.get("/api/v1/reports/balances?period=custom&start=2024-01&end=2024-01&step=day"
                        "&convert_to=GBP", headers=headers).json["converted"]
    fifth = next(p for p in points if p["point"] == "2024-01-05")
    assert fifth["total"] == "732.66" and fifth["as_of"] == "2024-01-05"
    first = points[0]
    assert first["total"] is None and any(h["missing"] == "no EUR→GBP rate within 7 days of 1 Jan 2024"
                                          for h in first["data"])


def test_a_gap_in_an_api_report_is_said_and_a_wrong_code_refused(client, db, user):
    from tests import factories
    from tests.test_rates_reports import _world
    _world(db, user)
    card = factories.create_account(db.session, user, "Card", currency="CHF", type="credit_card")
    factories.add_transactions(db.session, card, [("2024-01-04", "-50.00", "Ski pass")])
    headers = _token_headers(db, user)
    body = client.get("/api/v1/reports/income-and-expenses?period=custom&start=2024-01&end=2024-01&convert_to=GBP",
                      headers=headers).json["converted"]
    assert body["complete"] is False
    assert body["months"][0]["unconverted"] == [{"currency": "CHF", "income": "0", "expenses": "50.00",
                                                 "missing": "no CHF→GBP rate within 7 days of 4 Jan 2024"}]
    for path in ("income-and-expenses", "categories", "balances"):
        refused = client.get(f"/api/v1/reports/{path}?convert_to=ZZZ", headers=headers)
        assert refused.status_code == 422 and refused.mimetype == "application/problem+json", path
