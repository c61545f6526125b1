"""Jobs: the CLI, the RQ path against a real redis-server, and two syncs of one enrollment at once."""
import threading

import pytest
from sqlalchemy import func, select

from dashboard import jobs
from dashboard.ledger import verify_totals
from dashboard.models import Account, Transaction
from dashboard.models.teller import TellerEnrollment
from tests.redis_server import redis_url
from tests.teller_fixtures import TOKEN, api_url, bank  # noqa: F401  (fixtures)
from tests.teller_fixtures import app_config as teller_config


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
