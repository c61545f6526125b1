"""The Teller client against a real loopback server: paging, errors, retries, timeouts, mTLS."""
import time

import pytest

from dashboard.teller.client import PAGE_SIZE, ClientSettings, TellerClient, TellerError
from tests.teller_server import TellerState, mtls_files, teller_server

TOKEN = "token_abc"


@pytest.fixture
def state():
    bank = TellerState()
    bank.add_account(TOKEN, "acc_1")
    return bank


@pytest.fixture
def client(state):
    with teller_server(state) as url:
        client = TellerClient(TOKEN, ClientSettings(api_url=url, timeout=(1, 0.5), retries=2, backoff=0.01))
        yield client
        client.close()


def test_transactions_page_with_count_and_from_id_until_a_short_page(state, client):
    for number in range(PAGE_SIZE * 2 + 7):
        state.add_transaction("acc_1", f"txn_{number:04}", "2025-03-01", "-1.00", f"row {number}")
    rows = list(client.transactions("acc_1"))
    assert len(rows) == PAGE_SIZE * 2 + 7
    assert len({row["id"] for row in rows}) == len(rows)
    assert state.requests.count("/accounts/acc_1/transactions") == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_client_errors_are_answered_at_once_without_retry(state, client, status):
    state.fail("/accounts", status, code="enrollment.disconnected.user_action.mfa_required" if status == 403 else "x")
    with pytest.raises(TellerError) as raised:
        client.accounts()
    assert raised.value.status == status
    assert state.requests == ["/accounts"]
    assert raised.value.enrollment_broken == (status in (401, 403))
    assert raised.value.account_gone == (status == 410)


def test_a_502_then_success_is_retried(state, client):
    state.fail("/accounts", 502, code="bank_error")
    assert [a["id"] for a in client.accounts()] == ["acc_1"]
    assert state.requests == ["/accounts", "/accounts"]


def test_502_every_time_gives_up_after_the_bounded_retries(state, client):
    state.fail("/accounts", 502, times=10)
    with pytest.raises(TellerError) as raised:
        client.accounts()
    assert raised.value.status == 502
    assert len(state.requests) == 3  # one try and two retries


def test_a_429_waits_for_retry_after(state, client):
    state.fail("/accounts", 429, code="rate_limited", retry_after=1)
    started = time.monotonic()
    assert client.accounts()
    assert time.monotonic() - started >= 1
    assert len(state.requests) == 2


def test_a_slow_answer_hits_the_read_timeout_and_is_retried(state, client):
    state.fail("/accounts", 0, delay=1.0)
    assert client.accounts()
    assert len(state.requests) == 2


def test_always_slow_is_reported_as_a_timeout(state, client):
    state.fail("/accounts", 0, delay=1.0, times=3)
    with pytest.raises(TellerError) as raised:
        client.accounts()
    assert raised.value.status is None and raised.value.code == "timeout"


def test_mtls_server_refuses_a_client_without_the_certificate(state, tmp_path):
    files = mtls_files(tmp_path)
    with teller_server(state, tls=files.server_context()) as url:
        bare = TellerClient(TOKEN, ClientSettings(api_url=url, ca_file=str(files.ca), retries=0))
        with pytest.raises(TellerError) as raised:
            bare.accounts()
        assert raised.value.status is None
        assert state.requests == []
        with_cert = TellerClient(TOKEN, ClientSettings(api_url=url, ca_file=str(files.ca), retries=0,
                                                       cert_file=str(files.client_cert),
                                                       key_file=str(files.client_key)))
        assert [a["id"] for a in with_cert.accounts()] == ["acc_1"]


def test_the_backoff_grows_from_the_first_retry(state):
    state.fail("/accounts", 503, times=2)
    with teller_server(state) as url:
        client = TellerClient(TOKEN, ClientSettings(api_url=url, retries=2, backoff=0.3))
        assert client.accounts()
    first, second, third = state.arrivals
    assert 0.3 <= second - first < 0.3 + 0.15 + 0.25  # backoff, up to half of it in jitter, and slack
    assert 0.6 <= third - second < 0.6 + 0.15 + 0.25


def test_a_dropped_connection_is_retried(state, client):
    state.fail("/accounts", 0, drop=True)
    assert [a["id"] for a in client.accounts()] == ["acc_1"]
    assert state.requests == ["/accounts", "/accounts"]


def test_an_answer_that_is_not_json_is_a_teller_error(state, client):
    state.fail("/accounts/acc_1/balances", 0, page=b"<html>Proxy error</html>")
    with pytest.raises(TellerError) as raised:
        client.balances("acc_1")
    assert (raised.value.status, raised.value.code) == (200, "bad_answer")
