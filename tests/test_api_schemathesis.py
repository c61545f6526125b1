"""Schemathesis against the live API with a real token: every operation, no 5xx, nothing the document does not say.

Bounded: a few examples per operation, so the run takes about a minute on both engines.
"""
from __future__ import annotations

import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_headers_conformance,
                                 response_schema_conformance, status_code_conformance)
from werkzeug.serving import make_server

from dashboard.api.tokens import create_token
from dashboard.audit import Actor
from tests import factories

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
live: dict = {}


@pytest.fixture
def live_api(committed, app, db):
    user = factories.create_user(db.session, "fuzz@example.com")
    account = factories.create_account(db.session, user, "Current", currency="GBP")
    factories.add_transactions(db.session, account, [("2025-03-01", "-12.30", "Coffee", "Eating out"),
                                                     ("2025-03-02", "2500.00", "Salary")])
    live["token"] = create_token(db.session, Actor.system(), user, "schemathesis").secret
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live["url"] = f"http://127.0.0.1:{server.server_port}"
    yield schemathesis.openapi.from_url(f"{live['url']}/api/v1/openapi.json")
    server.shutdown()
    thread.join(timeout=5)


def test_every_operation_keeps_to_the_document(live_api):
    """One Hypothesis run per operation of the document (pytest's own parametrisation cannot see a live server's
    document before the fixture starts it)."""
    headers = {"Authorization": f"Bearer {live['token']}"}
    operations = [result.ok() for result in live_api.get_all_operations()]
    assert len(operations) >= 16
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def keeps_to_the_document(case):
            case.call_and_validate(base_url=live["url"], headers=headers, checks=CHECKS)

        keeps_to_the_document()
