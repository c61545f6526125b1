"""Jobs: the CLI, the RQ path against a real redis-server, and two syncs of one enrollment at once."""
import threading
import time
from datetime import date, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from dashboard import jobs
from dashboard.ledger import verify_totals
from dashboard.models import Account, Transaction
from dashboard.models.base import utcnow
from dashboard.models.teller import TellerEnrollment
from dashboard.teller.claims import SYNC_CLAIM
from tests import factories
from tests.redis_server import redis_url
from tests.teller_fixtures import TOKEN, api_url, bank  # noqa: F401  (fixtures)
from tests.teller_fixtures import app_config as teller_config
from tests.teller_fixtures import signed_headers, webhook_event


@pytest.fixture(scope="module")
def redis():
    with redis_url() as url:
        yield url


@pytest.fixture
def app_config(teller_config, request):
    if "redis" in request.fixturenames:
        teller_config["REDIS_URL"] = request.getfixturevalue("redis")
    return teller_config


def _enrol(runner, user, token=TOKEN):
    return runner.invoke(args=["teller", "enroll", "--user", user.email], input=token + "\n")


def _count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_cli_enroll_then_sync_prints_per_account(db, user, runner, bank):
    enrolled = _enrol(runner, user)
    assert enrolled.exit_code == 0 and "enrolled Gringotts for alice@example.com" in enrolled.output
    assert TOKEN not in enrolled.output
    synced = runner.invoke(args=["teller", "sync", "--user", user.email])
    assert synced.exit_code == 0, synced.output
    assert "Gringotts Checking ••1234: added 2, updated 0, removed 0" in synced.output
    again = runner.invoke(args=["teller", "sync"])
    assert again.exit_code == 0 and again.output.count("no changes") == 2


def test_a_token_no_key_decrypts_fails_its_connection_alone_with_one_line(db, user, runner, bank):
    """A key dropped from ENCRYPTION_KEY before `keys rotate` ran: the sync says so, never a traceback."""
    other = factories.create_user(db.session, "bob@example.com")
    db.session.commit()
    _enrol(runner, user)
    _enrol(runner, other)
    unreadable = db.session.scalars(select(TellerEnrollment).where(TellerEnrollment.owner_id == user.id)).one()
    unreadable.access_token = Fernet(Fernet.generate_key()).encrypt(TOKEN.encode()).decode()
    db.session.commit()
    synced = runner.invoke(args=["teller", "sync"])
    assert synced.exit_code == 1
    assert "its access token cannot be read (a stored secret does not decrypt" in synced.output
    assert isinstance(synced.exception, SystemExit) and "Traceback" not in synced.output
    assert "Gringotts Checking ••1234: added 2" in synced.output  # bob's connection synced all the same
    owners = db.session.scalars(select(Transaction.owner_id).distinct()).all()
    assert owners == [other.id]


def test_cli_refuses_a_bad_token_and_exits_1_when_an_enrollment_fails(db, user, runner, bank):
    refused = _enrol(runner, user, "nope")
    assert refused.exit_code == 1 and "Teller refused the token (401" in refused.output
    _enrol(runner, user)
    bank.fail("/accounts", 401, code="unauthorized")
    failed = runner.invoke(args=["teller", "sync"])
    assert failed.exit_code == 1 and "failed: 401 unauthorized" in failed.output


def test_enqueue_without_redis_says_so(db, user, runner):
    result = runner.invoke(args=["teller", "sync", "--enqueue"])
    assert result.exit_code == 1 and "REDIS_URL" in result.output


def test_enqueue_puts_one_job_per_enrollment_on_redis_and_the_worker_runs_them(db, user, runner, redis, committed):
    assert _enrol(runner, user).exit_code == 0
    queued = runner.invoke(args=["teller", "sync", "--enqueue"])
    assert queued.exit_code == 0 and "queued 1 sync job(s)" in queued.output
    assert jobs.queue().count == 1 and _count(db, Transaction) == 0
    worked = runner.invoke(args=["worker", "--burst"])
    assert worked.exit_code == 0, worked.output
    assert _count(db, Transaction) == 3 and jobs.queue().count == 0
    assert db.session.scalar(select(TellerEnrollment.last_synced_at)) is not None


def test_an_enrollment_has_at_most_one_sync_waiting_and_a_change_during_a_sync_queues_the_next(
        db, user, runner, client, bank, redis, committed):
    assert _enrol(runner, user).exit_code == 0
    assert runner.invoke(args=["teller", "sync"]).exit_code == 0
    for number in range(3):  # a burst of webhooks about one connection
        body = webhook_event(f"wh_burst_{number}", "transactions.processed",
                             {"transactions": [{"id": "txn_1", "account_id": "acc_chk"}]})
        assert client.post("/teller/webhook", data=body, headers=signed_headers(body, "new-secret")).status_code == 200
    again = runner.invoke(args=["teller", "sync", "--enqueue"])
    assert again.exit_code == 0 and "queued 0 sync job(s); 1 already waiting on the queue" in again.output
    assert jobs.queue().count == 1
    bank.add_transaction("acc_chk", "txn_burst", date.today().isoformat(), "-4.50", "Cafe")
    assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert _count(db, Transaction) == 4 and jobs.queue().count == 0
    queued = runner.invoke(args=["teller", "sync", "--enqueue"])  # the waiting mark went when the job started
    assert "queued 1 sync job(s)" in queued.output and jobs.queue().count == 1


def test_two_syncs_of_one_enrollment_at_once_leave_one_copy(app, db, user, runner, committed):
    assert _enrol(runner, user).exit_code == 0
    enrollment_id = db.session.scalar(select(TellerEnrollment.id))
    db.session.commit()
    results, start = [], threading.Barrier(2)

    def sync():
        with app.app_context():
            start.wait()
            results.append(jobs.run_sync(enrollment_id))

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.failed for r in results] == [False, False]
    assert _count(db, Account) == 2 and _count(db, Transaction) == 3
    assert sum(a.added for r in results for a in r.accounts) == 3  # each row added by one of them
    assert verify_totals(db.session) == []


def test_a_sync_that_starts_while_another_runs_waits_and_reads_the_bank_afresh(app, db, user, runner, bank,
                                                                                committed):
    """The first sync's answer for the checking account is read, then arrives late; meanwhile the bank posts the
    pending row. Had the second sync not waited, the first would write its old answer after the second had
    replaced the pending row by its posted twin, and bring the pending row back beside it."""
    bank.add_transaction("acc_chk", "txn_p", date.today().isoformat(), "-40.00", "BISTRO 42", status="pending")
    assert _enrol(runner, user).exit_code == 0
    enrollment_id = db.session.scalar(select(TellerEnrollment.id))
    db.session.commit()
    assert jobs.run_sync(enrollment_id).accounts[0].added == 3
    bank.fail("/accounts/acc_chk/transactions", 0, delay=1.5)
    results = []

    def sync():
        with app.app_context():
            results.append(jobs.run_sync(enrollment_id))

    first = threading.Thread(target=sync)
    first.start()
    while bank.requests.count("/accounts/acc_chk/transactions") < 2:  # the first sync's answer is on its way
        time.sleep(0.01)
    bank.remove_transaction("acc_chk", "txn_p")
    bank.add_transaction("acc_chk", "txn_posted", date.today().isoformat(), "-40.00", "BISTRO 42")
    second = threading.Thread(target=sync)
    second.start()
    first.join()
    second.join()
    assert [r.failed for r in results] == [False, False]
    db.session.expire_all()
    bistro = db.session.execute(select(Transaction.external_id, Transaction.status)
                                .where(Transaction.description == "BISTRO 42")).all()
    assert bistro == [("txn_posted", "posted")]
    assert results[1].accounts[0].replaced == 1
    assert db.session.scalar(select(TellerEnrollment.sync_started_at)) is None
    assert verify_totals(db.session) == []


def test_a_held_claim_is_waited_for_then_reported_and_a_dead_workers_claim_lapses(app, db, user, runner,
                                                                                   committed, monkeypatch):
    monkeypatch.setattr(jobs, "SYNC_WAIT", 0.5)  # the CLI's wait, shortened
    assert _enrol(runner, user).exit_code == 0
    enrollment = db.session.scalar(select(TellerEnrollment))
    held = utcnow()
    enrollment.sync_started_at = held
    db.session.commit()
    result = jobs.run_sync(enrollment.id, wait=0.5)
    assert result.busy_since == held and not result.failed and result.accounts == []
    assert "running since" in result.summary()
    synced = runner.invoke(args=["teller", "sync"])  # cron meets it too: not a failure, and nothing written
    assert synced.exit_code == 0 and "another sync of this connection has been running since" in synced.output
    assert _count(db, Transaction) == 0
    enrollment = db.session.scalar(select(TellerEnrollment))
    enrollment.sync_started_at = held - SYNC_CLAIM - timedelta(minutes=1)  # its worker died long ago
    db.session.commit()
    assert sum(a.added for a in jobs.run_sync(enrollment.id, wait=0).accounts) == 3
    assert db.session.scalar(select(TellerEnrollment.sync_started_at)) is None


def test_a_webhook_with_redis_answers_at_once_and_queues_the_sync_for_the_worker(db, user, runner, client, bank,
                                                                                 redis, committed):
    assert _enrol(runner, user).exit_code == 0
    assert runner.invoke(args=["teller", "sync"]).exit_code == 0
    bank.add_transaction("acc_chk", "txn_hook", date.today().isoformat(), "-9.99", "Books")
    bank.fail("/accounts", 0, delay=3)  # a slow bank: the webhook must not wait for it
    body = webhook_event("wh_q", "transactions.processed", {"transactions": [{"id": "txn_hook",
                                                                            "account_id": "acc_chk"}]})
    started = time.monotonic()
    answer = client.post("/teller/webhook", data=body, headers=signed_headers(body, "new-secret"))
    assert answer.status_code == 200 and time.monotonic() - started < 2
    assert jobs.queue().count == 1 and _count(db, Transaction) == 3
    assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert _count(db, Transaction) == 4 and jobs.queue().count == 0
