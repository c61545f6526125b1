"""Fixtures shared by the Teller tests: a loopback bank with one user's two accounts, an app pointed at it, and
signed webhook deliveries."""
import hashlib
import hmac
import json
import time

import pytest
from cryptography.fernet import Fernet

from tests.teller_server import TellerState, teller_server

TOKEN = "token_alice"


@pytest.fixture
def bank():
    state = TellerState()
    state.add_account(TOKEN, "acc_chk", name="Checking")
    state.add_account(TOKEN, "acc_sav", name="Savings", subtype="savings", last_four="9999")
    state.add_transaction("acc_chk", "txn_1", "2025-03-01", "-12.50", "Corner Cafe", counterparty="Corner Cafe")
    state.add_transaction("acc_chk", "txn_2", "2025-03-02", "2500.00", "Payroll", category="income")
    state.add_transaction("acc_sav", "txn_3", "2025-03-03", "50.00", "Interest", category="interest")
    return state


@pytest.fixture
def api_url(bank):
    with teller_server(bank) as url:
        yield url


@pytest.fixture
def app_config(api_url):
    return {"ENCRYPTION_KEY": Fernet.generate_key().decode(), "TELLER_API_URL": api_url,
            "TELLER_SIGNING_SECRET": "old-secret, new-secret"}


def signed_headers(body: bytes, secret: str, at: float | None = None) -> dict:
    stamp = str(int(at if at is not None else time.time()))
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Teller-Signature": f"t={stamp},v1=deadbeef,v1={mac}", "Content-Type": "application/json"}


def webhook_event(event_id="wh_1", kind="enrollment.disconnected", payload=None) -> bytes:
    return json.dumps({"id": event_id, "type": kind, "timestamp": "2025-03-20T10:00:00Z",
                       "payload": payload or {"enrollment_id": "enr_1", "reason": "disconnected.account_locked"}}
                      ).encode()
