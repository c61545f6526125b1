"""Background jobs: on an RQ queue when REDIS_URL is set, inline otherwise.

A job names its work by ids only (an enrollment's id), so any worker on any
host can run it; the work itself is safe to queue twice (a sync claims its
enrollment, so a second one waits for the first, then reads the bank afresh), and an enrollment has at most one
sync waiting on the queue: a burst of webhooks costs one sync, not one each. ``flask worker`` runs an RQ worker
inside the app, so a job finds the app's config and database there.
"""
from __future__ import annotations

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue, Worker

from dashboard.audit import Actor
from dashboard.encryption import EncryptionError
from dashboard.extensions import db
from dashboard.models.teller import EnrollmentStatus, TellerEnrollment
from dashboard.rates.fetch import fetch_ecb_rates
from dashboard.rates.services import StoredRates, store_published_rates
from dashboard.teller.client import settings_from_config
from dashboard.teller.enrollments import client_for
from dashboard.teller.sync import SyncResult, sync_enrollment

QUEUE = "dashboard"
SYNC_WAITING = QUEUE + ":teller-sync-waiting:{}"  # set while an enrollment's sync job waits; cleared as it starts
SYNC_TIMEOUT = 30 * 60
SYNC_WAIT = 5 * 60  # how long a job or the CLI waits for another sync of the same enrollment to finish
RATES_TIMEOUT = 5 * 60


def sync_job(enrollment_id: int) -> dict | None:
    """The job: sync one enrollment (when it is still connected); returns what changed, as JSON."""
    if not has_app_context():
        from dashboard import create_app

        with create_app().app_context():
            return sync_job(enrollment_id)
    queue().connection.delete(SYNC_WAITING.format(enrollment_id))  # a change from now on needs another sync
    result = run_sync(enrollment_id)
    return result.as_json() if result else None


def run_sync(enrollment_id: int, wait: float | None = None) -> SyncResult | None:
    """Sync one enrollment now, waiting up to ``wait`` seconds (SYNC_WAIT) for another sync of it to finish."""
    enrollment = db.session.get(TellerEnrollment, enrollment_id)
    if enrollment is None or enrollment.status == EnrollmentStatus.REMOVED:
        return None
    try:
        client = client_for(enrollment, settings_from_config(current_app.config))
    except EncryptionError as error:  # a key dropped from ENCRYPTION_KEY too soon: this connection fails alone
        return SyncResult(enrollment_id, error=f"its access token cannot be read ({error})")
    try:
        return sync_enrollment(db.session, enrollment, client, Actor.system(),
                               wait=SYNC_WAIT if wait is None else wait)
    finally:
        client.close()


def queue() -> Queue | None:
    """The app's RQ queue, or None when REDIS_URL is not set (jobs then run inline)."""
    url = current_app.config.get("REDIS_URL")
    return Queue(QUEUE, connection=Redis.from_url(url)) if url else None


def enqueue_sync(enrollment_id: int) -> SyncResult | None:
    """Queue one enrollment's sync; without Redis, run it now and return its result (a request does not wait
    for another sync of the enrollment: that one is doing the work)."""
    jobs = queue()
    if jobs is None:
        return run_sync(enrollment_id, wait=0)
    queue_sync(jobs, enrollment_id)
    return None


def queue_sync(jobs: Queue, enrollment_id: int) -> bool:
    """Put an enrollment's sync on the queue unless one is waiting there already (False): that one reads
    everything the bank has when it starts. The mark lapses with the job's timeout, so a lost job is not
    waited for forever."""
    if not jobs.connection.set(SYNC_WAITING.format(enrollment_id), 1, nx=True, ex=SYNC_TIMEOUT):
        return False
    jobs.enqueue(sync_job, enrollment_id, job_timeout=SYNC_TIMEOUT, description=f"teller sync {enrollment_id}")
    return True


def work(burst: bool = False) -> None:
    """Run a worker on the app's queue (``burst``: until the queue is empty)."""
    jobs = queue()
    if jobs is None:
        raise RuntimeError("REDIS_URL is not set: jobs run inline and there is nothing for a worker to do")
    db.engine.dispose()  # the forked work horses open their own connections
    Worker([jobs], connection=jobs.connection).work(burst=burst, with_scheduler=False)


def rates_fetch_job(url: str) -> dict:
    """The job: fetch and store the ECB's rates from ``url``; returns what changed, as JSON."""
    if not has_app_context():
        from dashboard import create_app

        with create_app().app_context():
            return rates_fetch_job(url)
    stored, read = run_rates_fetch(url)
    return {"read": read, "added": stored.added, "changed": stored.changed, "unchanged": stored.unchanged}


def run_rates_fetch(url: str) -> tuple[StoredRates, int]:
    """Fetch, store and commit the rates at ``url``: (what was stored, how many were read)."""
    rates = fetch_ecb_rates(url)
    stored = store_published_rates(db.session, Actor.system(), rates, url)
    db.session.commit()
    return stored, len(rates)


def enqueue_rates_fetch(url: str) -> None:
    """Queue a rates fetch (cron can call `flask rates fetch --enqueue`; a worker runs it)."""
    queue().enqueue(rates_fetch_job, url, job_timeout=RATES_TIMEOUT, description=f"rates fetch {url}")
