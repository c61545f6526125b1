"""Teller webhooks: the signature check, the replay guard, and what each event type does."""
from __future__ import annotations

import hashlib
import hmac
import time

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.audit import Actor
from dashboard.models import Account
from dashboard.models.accounts import AccountSource
from dashboard.models.teller import EnrollmentStatus, TellerAccount, TellerEnrollment, TellerWebhookEvent
from dashboard.teller.enrollments import mark_disconnected

TOLERANCE_SECONDS = 300


def signing_secrets(setting: str | None) -> list[str]:
    """TELLER_SIGNING_SECRET holds one secret, or several separated by commas during a rotation."""
    return [part.strip() for part in (setting or "").split(",") if part.strip()]


def signature_valid(header: str | None, body: bytes, secrets: list[str], now: float | None = None,
                    tolerance: int = TOLERANCE_SECONDS) -> bool:
    """``Teller-Signature: t=<unix time>,v1=<hex>[,v1=...]``: HMAC-SHA256 of ``"<t>.<body>"``, recent enough."""
    if not header or not secrets:
        return False
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not timestamp.isdigit() or not signatures:
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > tolerance:
        return False
    signed = timestamp.encode() + b"." + body
    expected = [hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest() for secret in secrets]
    return any(hmac.compare_digest(want, given) for want in expected for given in signatures)


def first_delivery(session: Session, event_id: str, event_type: str) -> bool:
    """Record the event id; False (and nothing recorded) when it was already seen."""
    try:
        with session.begin_nested():
            session.add(TellerWebhookEvent(event_id=event_id[:128], type=event_type[:64]))
    except IntegrityError:
        return False
    return True


def enrollments_to_sync(session: Session, event: dict) -> list[int]:
    """Act on one verified, first-seen event; returns the ids of the enrollments whose sync to queue."""
    payload = event.get("payload") or {}
    if event.get("type") == "enrollment.disconnected":
        mark_disconnected(session, Actor.system(), str(payload.get("enrollment_id", "")), str(payload.get("reason", "")))
        return []
    if event.get("type") == "transactions.processed":
        rows = [t for t in payload.get("transactions", []) if isinstance(t, dict)]
        teller_ids = {str(t["enrollment_id"]) for t in rows if t.get("enrollment_id")}
        if payload.get("enrollment_id"):
            teller_ids.add(str(payload["enrollment_id"]))
        account_ids = {str(t["account_id"]) for t in rows if t.get("account_id")}
        by_account = select(TellerAccount.enrollment_id).join(Account, Account.id == TellerAccount.account_id).where(
            Account.source == AccountSource.TELLER, Account.external_id.in_(account_ids))
        return list(session.scalars(select(TellerEnrollment.id).where(
            or_(TellerEnrollment.enrollment_id.in_(teller_ids), TellerEnrollment.id.in_(by_account)),
            TellerEnrollment.status == EnrollmentStatus.CONNECTED)))
    return []
