"""Teller Connect in a real Chromium, under the Connect page's own CSP: the button opens Connect's frame, and
what Connect hands back reaches the server through the page's form, with its CSRF token, and connects the bank.

Chromium cannot reach Teller from here, so Playwright serves ``connect.js`` and Teller's frame page at their real
addresses: the browser enforces the policy against those addresses exactly as it would against Teller's own.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from dashboard.models import Transaction
from dashboard.models.teller import TellerEnrollment
from tests.e2e.test_browser import _log_in
from tests.teller_fixtures import TOKEN, api_url, bank  # noqa: F401  (fixtures)
from tests.teller_fixtures import app_config as teller_config

# Stands in for Teller's connect.js: setup() and open() as documented; open() shows Connect's frame from
# teller.io, and onSuccess gets an enrollment once the frame has loaded (as the user finishing Connect would).
FAKE_CONNECT = """
window.TellerConnect = {setup: function (options) { return {open: function () {
  var frame = document.createElement("iframe");
  frame.src = "https://teller.io/connect/frame?app=" + options.applicationId + "&env=" + options.environment
    + (options.enrollmentId ? "&enrollment=" + options.enrollmentId : "");
  frame.addEventListener("load", function () {
    options.onSuccess({accessToken: "%s", enrollment: {id: "enr_1", institution: {name: "Gringotts"}}});
  });
  document.body.appendChild(frame);
}}; }};
""" % TOKEN


@pytest.fixture
def app_config(teller_config):
    return {**teller_config, "WTF_CSRF_ENABLED": True, "TELLER_APPLICATION_ID": "app_test123",
            "TELLER_ENVIRONMENT": "sandbox"}


def test_teller_connect_opens_under_the_pages_policy_and_its_token_connects_the_bank(live_server, browser, db):
    page = browser.new_page()
    problems, frames = [], []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.route("https://cdn.teller.io/connect/connect.js",
               lambda route: route.fulfill(body=FAKE_CONNECT, content_type="application/javascript"))
    page.route("https://teller.io/connect/**", lambda route: (frames.append(route.request.url), route.fulfill(
        body="<!doctype html><title>Teller Connect</title>", content_type="text/html")))
    _log_in(page, live_server)
    page.goto(f"{live_server}/connections/connect")
    page.get_by_role("button", name="Open Teller Connect").click()
    expect(page.get_by_text("Connected Gringotts")).to_be_visible()
    assert frames == ["https://teller.io/connect/frame?app=app_test123&env=sandbox"]
    assert problems == []  # a policy that blocked the script or the frame reports a console error
    db.session.expire_all()
    assert db.session.scalar(select(TellerEnrollment.enrollment_id)) == "enr_1"
    assert db.session.scalar(select(func.count()).select_from(Transaction).where(
        Transaction.external_id.in_(["txn_1", "txn_2", "txn_3"]))) == 3


def test_the_policy_blocks_a_frame_from_anywhere_else(live_server, browser):
    page = browser.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.route("https://cdn.teller.io/connect/connect.js", lambda route: route.fulfill(
        body=FAKE_CONNECT.replace("https://teller.io/", "https://evil.example/"),
        content_type="application/javascript"))
    _log_in(page, live_server)
    page.goto(f"{live_server}/connections/connect")
    page.get_by_role("button", name="Open Teller Connect").click()
    page.wait_for_timeout(500)
    assert any("frame-src" in text and "evil.example" in text for text in violations)
