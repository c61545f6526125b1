"""The connections pages and the webhook, through the test client against the loopback Teller server."""
import json
import logging
import time
from datetime import date, timedelta

from sqlalchemy import select

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.models import Account, AuditEvent, TellerMatchReview, Transaction
from dashboard.models.teller import EnrollmentStatus, TellerEnrollment
from dashboard.teller.client import TellerClient, settings_from_config
from dashboard.teller.enrollments import enroll
from dashboard.teller.reviews import open_reviews
from tests import factories
from tests.teller_fixtures import TOKEN, api_url, app_config, bank  # noqa: F401  (fixtures)
from tests.teller_fixtures import signed_headers, webhook_event


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


def _days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


def test_the_account_page_syncs_now_and_leads_to_the_review_list(db, user, auth_client, bank):
    bank.add_transaction("acc_chk", "txn_p", _days_ago(3), "-40.00", "BISTRO 42 PENDING", status="pending")
    _connect(auth_client)
    account = db.session.scalar(select(Account).where(Account.external_id == "acc_chk"))
    enrollment = db.session.scalar(select(TellerEnrollment))
    page = auth_client.get(f"/accounts/{account.id}").get_data(as_text=True)
    assert "Sync now" in page and "to review" not in page and "last sync" in page
    bank.remove_transaction("acc_chk", "txn_p")
    bank.add_transaction("acc_chk", "txn_posted", _days_ago(1), "-46.00", "BISTRO 42")
    response = auth_client.post("/connections/sync", data={"connection": enrollment.id,
                                                           "next": f"/accounts/{account.id}"})
    assert response.headers["Location"].endswith(f"/accounts/{account.id}")
    page = auth_client.get(f"/accounts/{account.id}").get_data(as_text=True)
    assert "1 to review" in page
    reviews = auth_client.get(f"/connections/reviews?account={account.id}").get_data(as_text=True)
    assert "BISTRO 42 PENDING" in reviews and "Yes, one" in reviews and "No, keep both" in reviews
    (review,) = open_reviews(db.session, Scope.of_user(user.id))
    page = auth_client.post("/connections/reviews/confirm", data={"review": review.id},
                            follow_redirects=True).get_data(as_text=True)
    assert "Confirmed" in page and "Nothing to review" in page
    descriptions = db.session.scalars(select(Transaction.description).where(
        Transaction.account_id == account.id, Transaction.description.like("BISTRO%"))).all()
    assert descriptions == ["BISTRO 42"]
    assert "to review" not in auth_client.get(f"/accounts/{account.id}").get_data(as_text=True)


def test_another_users_review_is_404_and_garbage_is_400(app, db, user, auth_client, bank):
    bob = factories.create_user(db.session, "bob@example.com")
    account = factories.create_account(db.session, bob, "Bob's")
    factories.add_pending(db.session, account, "2025-03-01", "-5", "Pending")
    factories.add_transactions(db.session, account, [("2025-03-02", "-6", "Posted")])
    pending_id, posted_id = db.session.scalars(select(Transaction.id).where(Transaction.account_id == account.id)
                                               .order_by(Transaction.id)).all()
    review = TellerMatchReview(owner_id=bob.id, account_id=account.id, pending_id=pending_id, posted_id=posted_id)
    db.session.add(review)
    db.session.commit()
    for path in ("/connections/reviews/confirm", "/connections/reviews/dismiss"):
        assert auth_client.post(path, data={"review": review.id}).status_code == 404
        assert auth_client.post(path, data={"review": 10 ** 30}).status_code in (400, 404)
        assert auth_client.post(path, data={"review": "x"}).status_code == 400
    assert "Pending" not in auth_client.get(f"/connections/reviews?account={account.id}").get_data(as_text=True)
    assert auth_client.get("/connections/reviews?account=99999999999999999999").status_code == 200
    db.session.expire_all()
    assert db.session.get(TellerMatchReview, review.id).status == "open"


def test_the_dashboard_asks_to_reconnect_a_revoked_connection(db, user, auth_client, bank):
    _connect(auth_client)
    bank.tokens.clear()  # Teller now refuses the token: 401
    enrollment = db.session.scalar(select(TellerEnrollment))
    auth_client.post("/connections/sync", data={"connection": enrollment.id})
    page = auth_client.get("/").get_data(as_text=True)
    assert f'id="reconnect-{enrollment.id}"' in page and "Reconnect" in page
    assert f"/connections/connect?reconnect={enrollment.id}" in page


def test_only_the_connect_page_allows_tellers_script(auth_client):
    connect = dict(directive.strip().split(" ", 1) for directive in
                   auth_client.get("/connections/connect").headers["Content-Security-Policy"].split(";"))
    assert connect["script-src"] == "'self' https://cdn.teller.io" and connect["frame-src"] == "https://teller.io"
    assert connect["connect-src"] == "'self'" and connect["default-src"] == "'self'"
    assert "teller.io" not in auth_client.get("/connections").headers["Content-Security-Policy"]


def test_webhook_with_good_signature_marks_the_enrollment_disconnected(db, user, auth_client, client):
    _connect(auth_client)
    body = webhook_event()
    assert client.post("/teller/webhook", data=body, headers=signed_headers(body, "new-secret")).status_code == 200
    enrollment = db.session.scalar(select(TellerEnrollment))
    db.session.refresh(enrollment)
    assert enrollment.status == EnrollmentStatus.DISCONNECTED
    assert enrollment.status_reason == "disconnected.account_locked"
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "teller.disconnected"))
    assert "Reconnect" in auth_client.get("/connections").get_data(as_text=True)


def test_webhook_refuses_bad_stale_and_replayed_signatures(db, client):
    body = webhook_event("wh_2", "webhook.test", {})
    assert client.post("/teller/webhook", data=body, headers=signed_headers(body, "guessed")).status_code == 401
    assert client.post("/teller/webhook", data=body,
                       headers=signed_headers(body, "old-secret", at=time.time() - 600)).status_code == 401
    assert client.post("/teller/webhook", data=body, headers={}).status_code == 401
    assert client.post("/teller/webhook", data=body, headers=signed_headers(body, "old-secret")).status_code == 200
    assert client.post("/teller/webhook", data=body, headers=signed_headers(body, "old-secret")).status_code == 409


def test_transactions_processed_webhook_syncs(db, user, auth_client, client, bank):
    _connect(auth_client)
    bank.add_transaction("acc_chk", "txn_hook", date.today().isoformat(), "-9.99", "Books")
    body = webhook_event("wh_3", "transactions.processed",
                  {"transactions": [{"id": "txn_hook", "account_id": "acc_chk"}]})
    assert client.post("/teller/webhook", data=body, headers=signed_headers(body, "new-secret")).status_code == 200
    assert db.session.scalar(select(Transaction.id).where(Transaction.external_id == "txn_hook"))


def test_the_token_is_never_logged_shown_or_audited(db, user, auth_client, caplog):
    caplog.set_level(logging.DEBUG)
    refused = _connect(auth_client, "token_wrong_guess").get_data(as_text=True)
    page = _connect(auth_client).get_data(as_text=True)
    enrollment = db.session.scalar(select(TellerEnrollment))
    page += auth_client.post("/connections/sync", data={"connection": enrollment.id},
                             follow_redirects=True).get_data(as_text=True)
    page += auth_client.get("/connections/connect?reconnect=%d" % enrollment.id).get_data(as_text=True)
    assert "Teller refused the token" in refused and "token_wrong_guess" not in refused
    assert "urllib3" in {record.name.split(".")[0] for record in caplog.records}  # the requests were logged
    logged = "\n".join(record.getMessage() for record in caplog.records)
    audited = json.dumps([event.details for event in db.session.scalars(select(AuditEvent))])
    for token in (TOKEN, "token_wrong_guess"):
        assert token not in logged and token not in page and token not in audited
    assert TOKEN not in enrollment.access_token
