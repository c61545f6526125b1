"""The connections pages and the webhook, through the test client against the loopback Teller server."""
import hashlib
import hmac
import json
import time
from datetime import date, timedelta

from sqlalchemy import select

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.models import AuditEvent, Transaction
from dashboard.models.teller import EnrollmentStatus, TellerEnrollment
from dashboard.teller.client import TellerClient, settings_from_config
from dashboard.teller.enrollments import enroll
from tests import factories
from tests.teller_fixtures import TOKEN, api_url, app_config, bank  # noqa: F401  (fixtures)


def _connect(client, token=TOKEN):
    return client.post("/connections/connect", data={"access_token": token}, follow_redirects=True)


def test_pasting_a_token_connects_syncs_and_lists_the_connection(db, user, auth_client):
    page = _connect(auth_client).get_data(as_text=True)
    assert "Connected Gringotts" in page and "first sync has finished" in page
    assert "Gringotts Checking ••1234" in page and "Sync now" in page and TOKEN not in page
    assert db.session.scalar(select(Transaction.id).where(Transaction.external_id == "txn_1"))


def test_a_refused_token_is_an_error_on_the_form(db, user, auth_client):
    response = _connect(auth_client, "wrong")
    assert response.status_code == 400 and "Teller refused the token (401" in response.get_data(as_text=True)
    assert db.session.scalar(select(TellerEnrollment.id)) is None


def test_sync_now_and_disconnect_keep_the_accounts(db, user, auth_client, bank):
    _connect(auth_client)
    enrollment = db.session.scalar(select(TellerEnrollment))
    bank.add_transaction("acc_chk", "txn_new", (date.today() - timedelta(days=2)).isoformat(), "-3.00", "Bus")
    page = auth_client.post("/connections/sync", data={"connection": enrollment.id}, follow_redirects=True)
    assert "added 1" in page.get_data(as_text=True)
    page = auth_client.post("/connections/remove", data={"connection": enrollment.id}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "no longer syncing" in text and "Removed" in text
    assert db.session.scalar(select(Transaction.id).where(Transaction.external_id == "txn_new"))


def test_another_users_connection_is_404_and_untouched(app, db, user, auth_client):
    bob = factories.create_user(db.session, "bob@example.com")
    theirs = enroll(db.session, Scope.of_user(bob.id), Actor(bob.id), TOKEN,
                    lambda token: TellerClient(token, settings_from_config(app.config)))
    for path in ("/connections/sync", "/connections/remove"):
        assert auth_client.post(path, data={"connection": theirs.id}).status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == EnrollmentStatus.CONNECTED
    assert "Gringotts" not in auth_client.get("/connections").get_data(as_text=True)


def test_only_the_connect_page_allows_tellers_script(auth_client):
    connect = auth_client.get("/connections/connect").headers["Content-Security-Policy"]
    assert "https://cdn.teller.io" in connect and "frame-src https://teller.io" in connect
    assert "teller.io" not in auth_client.get("/connections").headers["Content-Security-Policy"]


def _signed(body: bytes, secret: str, at: float | None = None) -> dict:
    stamp = str(int(at if at is not None else time.time()))
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Teller-Signature": f"t={stamp},v1=deadbeef,v1={mac}", "Content-Type": "application/json"}


def _event(event_id="wh_1", kind="enrollment.disconnected", payload=None) -> bytes:
    return json.dumps({"id": event_id, "type": kind, "timestamp": "2025-03-20T10:00:00Z",
                       "payload": payload or {"enrollment_id": "enr_1", "reason": "disconnected.account_locked"}}
                      ).encode()


def test_webhook_with_good_signature_marks_the_enrollment_disconnected(db, user, auth_client, client):
    _connect(auth_client)
    body = _event()
    assert client.post("/teller/webhook", data=body, headers=_signed(body, "new-secret")).status_code == 200
    enrollment = db.session.scalar(select(TellerEnrollment))
    db.session.refresh(enrollment)
    assert enrollment.status == EnrollmentStatus.DISCONNECTED
    assert enrollment.status_reason == "disconnected.account_locked"
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "teller.disconnected"))
    assert "Reconnect" in auth_client.get("/connections").get_data(as_text=True)


def test_webhook_refuses_bad_stale_and_replayed_signatures(db, client):
    body = _event("wh_2", "webhook.test", {})
    assert client.post("/teller/webhook", data=body, headers=_signed(body, "guessed")).status_code == 401
    assert client.post("/teller/webhook", data=body,
                       headers=_signed(body, "old-secret", at=time.time() - 600)).status_code == 401
    assert client.post("/teller/webhook", data=body, headers={}).status_code == 401
    assert client.post("/teller/webhook", data=body, headers=_signed(body, "old-secret")).status_code == 200
    assert client.post("/teller/webhook", data=body, headers=_signed(body, "old-secret")).status_code == 409


def test_transactions_processed_webhook_syncs(db, user, auth_client, client, bank):
    _connect(auth_client)
    bank.add_transaction("acc_chk", "txn_hook", date.today().isoformat(), "-9.99", "Books")
    body = _event("wh_3", "transactions.processed",
                  {"transactions": [{"id": "txn_hook", "account_id": "acc_chk"}]})
    assert client.post("/teller/webhook", data=body, headers=_signed(body, "new-secret")).status_code == 200
    assert db.session.scalar(select(Transaction.id).where(Transaction.external_id == "txn_hook"))
