"""One sync of an enrollment at a time, on any worker or host: a claim is the enrollment's ``sync_started_at``,
taken by one atomic UPDATE (PostgreSQL re-checks the row after waiting for its lock; SQLite has one writer)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from dashboard.models.base import utcnow
from dashboard.models.teller import TellerEnrollment

SYNC_CLAIM = timedelta(minutes=30)  # the job timeout: a claim older than this is a worker that died
POLL_SECONDS = 0.2


def claim_enrollment(session: Session, enrollment_id: int, wait: float = 0) -> datetime | None:
    """Claim the enrollment for a sync, waiting up to ``wait`` seconds for a live claim to end; the claim's
    time, or None when another sync still holds it. Commits."""
    deadline = time.monotonic() + wait
    while True:
        now = utcnow()
        claimed = session.execute(update(TellerEnrollment).where(
            TellerEnrollment.id == enrollment_id,
            or_(TellerEnrollment.sync_started_at.is_(None), TellerEnrollment.sync_started_at < now - SYNC_CLAIM))
            .values(sync_started_at=now).execution_options(synchronize_session=False)).rowcount
        session.commit()
        if claimed:
            return now
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_SECONDS)


def release_enrollment(session: Session, enrollment_id: int, claim: datetime) -> None:
    """End this sync's claim (not a later one's, taken after this claim lapsed). Commits."""
    session.execute(update(TellerEnrollment).where(
        TellerEnrollment.id == enrollment_id, TellerEnrollment.sync_started_at == claim)
        .values(sync_started_at=None).execution_options(synchronize_session=False))
    session.commit()
