"""Fixtures shared by the Teller tests: a loopback bank with one user's two accounts, and an app pointed at it."""
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
