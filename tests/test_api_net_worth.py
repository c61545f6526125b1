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
