"""The API's endpoints, on both engines, through a real token."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from dashboard.api.tokens import create_token
from dashboard.audit import Actor
from dashboard.ledger import verify_totals
from dashboard.models import AuditEvent, Transaction
from dashboard.models.base import utcnow
from tests import factories


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def token(db, user):
    return create_token(db.session, Actor.system(), user, "script").secret


@pytest.fixture
def account(db, user):
    account = factories.create_account(db.session, user, "Current", currency="GBP")
    factories.add_transactions(db.session, account, [
        ("2025-03-01", "-12.30", "Coffee shop", "Eating out"),
        ("2025-03-02", "2500.00", "Salary"),
        ("2025-03-03", "-40.00", "Grocer", "Food"),
    ])
    return account


def test_health_needs_no_token(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_without_a_token_the_api_answers_401_problem_json(client, auth_client):
    response = auth_client.get("/api/v1/me")  # a signed-in session cookie authenticates nothing here
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["status"] == 401 and response.json["detail"]
    assert client.get("/api/v1/me", headers=bearer("fdt_not-a-token")).status_code == 401


def test_me_names_the_user_and_records_use(client, db, user, token):
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.json["email"] == user.email and response.json["read_only"] is False
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "token.use")) is not None


def test_accounts_list_and_one_with_etag(client, token, account):
    listed = client.get("/api/v1/accounts", headers=bearer(token)).json
    assert listed["next"] is None
    assert [a["name"] for a in listed["data"]] == ["Current"]
    one = client.get(f"/api/v1/accounts/{account.id}", headers=bearer(token))
    assert one.json["currency"] == "GBP" and one.headers["ETag"]
    again = client.get(f"/api/v1/accounts/{account.id}", headers=bearer(token) | {"If-None-Match": one.headers["ETag"]})
    assert again.status_code == 304


def test_create_account(client, token):
    response = client.post("/api/v1/accounts", json={"name": "Cash", "type": "cash", "currency": "EUR"},
                           headers=bearer(token))
    assert response.status_code == 201 and response.json["name"] == "Cash"
    invalid = client.post("/api/v1/accounts", json={"name": "Cash", "currency": "euro"}, headers=bearer(token))
    assert invalid.status_code == 422 and "currency" in invalid.json["detail"]


def test_a_body_that_is_not_json_answers_415(client, token):
    response = client.post("/api/v1/accounts", data="name=Cash", headers={**bearer(token), "Content-Type": "text/plain"})
    assert response.status_code == 415 and response.mimetype == "application/problem+json"
    assert "application/json" in response.json["detail"]


def test_transactions_filter_sort_and_page(client, token, account):
    first = client.get("/api/v1/transactions?sort=amount&limit=2", headers=bearer(token)).json
    assert [t["amount"] for t in first["data"]] == ["-12.30", "-40.00"]  # by size, as on the pages
    second = client.get(first["next"], headers=bearer(token)).json
    assert [t["amount"] for t in second["data"]] == ["2500.00"] and second["next"] is None
    found = client.get(f"/api/v1/accounts/{account.id}/transactions?q=coffee", headers=bearer(token)).json
    assert [t["description"] for t in found["data"]] == ["Coffee shop"]
    assert client.get("/api/v1/transactions?limit=501", headers=bearer(token)).status_code == 422


def test_patch_category_with_if_match(client, db, token, account):
    row = db.session.scalar(select(Transaction).where(Transaction.description == "Salary"))
    read = client.get(f"/api/v1/transactions/{row.id}", headers=bearer(token))
    changed = client.patch(f"/api/v1/transactions/{row.id}", json={"category": "Income"},
                           headers=bearer(token) | {"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200 and changed.json["category"] == "Income"
    stale = client.patch(f"/api/v1/transactions/{row.id}", json={"category": "Other"},
                         headers=bearer(token) | {"If-Match": read.headers["ETag"]})
    assert stale.status_code == 412
    refused = client.patch(f"/api/v1/transactions/{row.id}", json={"amount": "1.00"}, headers=bearer(token))
    assert refused.status_code == 409  # an imported row keeps its amount
    assert verify_totals(db.session) == []


def test_manual_transaction_create_edit_delete(client, db, token, account):
    created = client.post(f"/api/v1/accounts/{account.id}/transactions",
                          json={"date": "2025-03-05", "description": "Window cleaner", "amount": "-15.00"},
                          headers=bearer(token))
    assert created.status_code == 201 and created.json["manual"] and created.json["currency"] == "GBP"
    row_id = created.json["id"]
    edited = client.patch(f"/api/v1/transactions/{row_id}", json={"amount": "-17.50"}, headers=bearer(token))
    assert edited.json["amount"] == "-17.50"
    assert verify_totals(db.session) == []
    assert client.delete(f"/api/v1/transactions/{row_id}", headers=bearer(token)).status_code == 204
    assert client.get(f"/api/v1/transactions/{row_id}", headers=bearer(token)).status_code == 404
    assert verify_totals(db.session) == []


def test_import_and_undo(client, db, token, account, bank_exports):
    path = next(p for p in sorted((bank_exports / "ofx2-xml").iterdir()) if p.suffix.lower() == ".ofx")
    response = client.post(f"/api/v1/accounts/{account.id}/imports", headers=bearer(token),
                           data={"file": (path.open("rb"), path.name)}, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    assert response.json["inserted"] > 0 and response.json["read"] == response.json["inserted"]
    again = client.post(f"/api/v1/accounts/{account.id}/imports", headers=bearer(token),
                        data={"file": (path.open("rb"), path.name)}, content_type="multipart/form-data")
    assert again.json["inserted"] == 0 and again.json["duplicates"] == response.json["read"]
    undone = client.delete(f"/api/v1/imports/{response.json['id']}", headers=bearer(token))
    assert undone.status_code == 200 and undone.json["removed"] == response.json["inserted"]
    assert client.delete(f"/api/v1/imports/{response.json['id']}", headers=bearer(token)).status_code == 409


def test_a_csv_needing_a_mapping_answers_422_with_the_question(client, token, account):
    data = b"when,what,value\n2025 Q1,Coffee,-3.00\n2025 Q1,Tea,-2.00\n"  # no column reads as dates
    response = client.post(f"/api/v1/accounts/{account.id}/imports", headers=bearer(token),
                           data={"file": (__import__("io").BytesIO(data), "ambiguous.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "mapping" in response.json["detail"] and "mapping" in response.json["errors"]


def test_reports(client, token, account):
    report = client.get("/api/v1/reports/income-and-expenses?period=custom&start=2025-03&end=2025-03",
                        headers=bearer(token)).json
    assert report["data"][0]["income"] == "2500.00" and report["data"][0]["expenses"] == "52.30"
    spending = client.get("/api/v1/reports/categories?period=custom&start=2025-03&end=2025-03",
                          headers=bearer(token)).json
    assert {c["category"] for c in spending["data"][0]["categories"]} == {"Eating out", "Food"}
    assert client.get("/api/v1/reports/categories?period=custom&start=2025-04",
                      headers=bearer(token)).status_code == 422


def test_read_only_token_may_read_but_not_write(client, db, user, account):
    secret = create_token(db.session, Actor.system(), user, "reader", read_only=True).secret
    assert client.get("/api/v1/accounts", headers=bearer(secret)).status_code == 200
    refused = client.post("/api/v1/accounts", json={"name": "X", "currency": "GBP"}, headers=bearer(secret))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"


def test_expired_revoked_and_deactivated_tokens_stop_working(client, db, user):
    new = create_token(db.session, Actor.system(), user, "short", expires_days=1)
    assert client.get("/api/v1/me", headers=bearer(new.secret)).status_code == 200
    new.token.expires_at = utcnow() - timedelta(seconds=1)
    assert client.get("/api/v1/me", headers=bearer(new.secret)).status_code == 401
    other = create_token(db.session, Actor.system(), user, "other")
    user.active = False
    assert client.get("/api/v1/me", headers=bearer(other.secret)).status_code == 401


def test_only_the_hash_is_stored(db, user):
    new = create_token(db.session, Actor.system(), user, "script")
    assert new.secret.startswith("fdt_") and new.secret not in new.token.token_hash
    assert len(new.token.token_hash) == 64


def test_unknown_route_and_method(client, token):
    assert client.get("/api/v1/nothing", headers=bearer(token)).mimetype == "application/problem+json"
    response = client.put("/api/v1/accounts", headers=bearer(token))
    assert response.status_code == 405 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "2 per minute"}])
def test_rate_limit_per_token_with_retry_after(client, db, user, token):
    other = create_token(db.session, Actor.system(), user, "other").secret
    for _ in range(2):
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    limited = client.get("/api/v1/me", headers=bearer(token))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.mimetype == "application/problem+json"
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200  # another token, another bucket


def test_profit_and_loss_and_balances(client, db, user, token, account):
    ledger = factories.create_account(db.session, user, "Sage", currency="GBP")
    factories.add_rows(db.session, ledger, [{"date": date(2025, 3, 4), "amount": Decimal("900.00"),
                                             "nominal_code": "4000", "description": "Sales"}])
    pnl = client.get("/api/v1/reports/profit-and-loss?period=custom&start=2025-03&end=2025-03",
                     headers=bearer(token)).json
    assert pnl["months"] == ["2025-03-01"]
    net = next(row for row in pnl["data"][0]["rows"] if row["label"] == "Net profit")
    assert net["values"] == ["900.00"]
    balances = client.get("/api/v1/reports/balances?period=custom&start=2025-01&end=2025-03",
                          headers=bearer(token)).json
    current = balances["data"][0]["accounts"][0]
    assert balances["step"] == "month" and len(current["balances"]) == 3
    assert current["balances"][2] == "2447.70" and current["derived"] is True
