"""The OpenAPI document describes every API route, and every operation keeps another user's data invisible."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dashboard.api.tokens import create_token
from dashboard.audit import Actor
from dashboard.models import ImportBatch, Transaction
from tests import factories

BODIES = {  # a valid body for each write, so the id, not the input, decides the answer
    ("post", "/api/v1/accounts/{account_id}/transactions"): {"json": {"date": "2025-01-01", "description": "x",
                                                                      "amount": "1.00"}},
    ("patch", "/api/v1/transactions/{transaction_id}"): {"json": {"note": "mine now"}},
    ("post", "/api/v1/accounts/{account_id}/imports"): {"data": {"file": (b"", "empty.csv")},
                                                        "content_type": "multipart/form-data"},
}


METHODS = {"get", "post", "put", "patch", "delete"}


def _document(client) -> dict:
    """The document, each path item keeping only its operations (not its shared ``parameters``)."""
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    document["paths"] = {path: {method: operation for method, operation in item.items() if method in METHODS}
                         for path, item in document["paths"].items()}
    return document


def test_every_api_route_is_in_the_document(app, client):
    documented = {(path, method) for path, operations in _document(client)["paths"].items() for method in operations}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api-docs.openapi_json":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {path} is not in the OpenAPI document"


def test_every_operation_documents_its_errors_as_problem_json(client):
    for path, operations in _document(client)["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "405", "429"} <= codes, f"{method} {path}"
            assert "default" not in codes  # a default would let any status pass as documented


@pytest.fixture
def foreign(db):
    """Bob's account, transaction and import, and Alice's token."""
    alice = factories.create_user(db.session, "alice@example.com")
    bob = factories.create_user(db.session, "bob@example.com")
    account = factories.create_account(db.session, bob, "Bob's")
    factories.add_transactions(db.session, account, [("2025-01-02", "-5.00", "Bob's lunch")])
    batch = ImportBatch(owner_id=bob.id, account_id=account.id, filename="b.csv", format="csv", content_hash="0" * 64)
    db.session.add(batch)
    db.session.flush()
    transaction_id = db.session.scalar(select(Transaction.id).where(Transaction.account_id == account.id))
    token = create_token(db.session, Actor.system(), alice, "alice").secret
    return {"account_id": account.id, "transaction_id": transaction_id, "batch_id": batch.id}, token


def test_another_users_ids_are_not_found_on_every_route(client, foreign):
    """Generated from the document, so a new endpoint with an id is covered without editing this test."""
    ids, token = foreign
    checked = 0
    for path, operations in _document(client)["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        if not names:
            continue
        url = path.format(**ids)
        for method in operations:
            kwargs = BODIES.get((method, path), {})
            response = getattr(client, method)(url, headers={"Authorization": f"Bearer {token}"}, **kwargs)
            assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"
            assert "Bob" not in response.get_data(as_text=True)
            checked += 1
    assert checked >= 8


def test_a_read_only_token_is_refused_every_write(client, db, foreign):
    ids, _ = foreign
    reader = create_token(db.session, Actor.system(), factories.create_user(db.session, "carol@example.com"),
                          "reader", read_only=True).secret
    for path, operations in _document(client)["paths"].items():
        for method in set(operations) - {"get"}:
            response = getattr(client, method)(path.format(**ids), headers={"Authorization": f"Bearer {reader}"},
                                               **BODIES.get((method, path), {}))
            assert response.status_code == 403, f"{method.upper()} {path}"


def test_the_docs_page_loads_the_vendored_reference(client):
    response = client.get("/api/v1/docs")
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert page.startswith("<!doctype html>")
    assert "/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js" in page and "https://" not in page
    assert client.get("/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js").status_code == 200
