"""Connecting and disconnecting a bank: a token checked against Teller, stored encrypted, audited.

The token is never logged, returned or shown once stored; only ``client_for``
decrypts it, to build the client a sync uses.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import encryption
from dashboard.access import Scope, storable_id
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.models import Account
from dashboard.models.teller import EnrollmentStatus, TellerAccount, TellerAccountStatus, TellerEnrollment
from dashboard.teller.client import ClientSettings, TellerClient, TellerError
from dashboard.teller.reviews import open_review_count

ClientFactory = Callable[[str], TellerClient]


class EnrollmentRefused(ValueError):
    """The token does not open any account at Teller; the message is for the user."""


def enroll(session: Session, scope: Scope, actor: Actor, token: str, new_client: ClientFactory,
           enrollment_id: str | None = None) -> TellerEnrollment:
    """Check ``token`` against Teller and store it encrypted for the scope's user (reconnecting when known)."""
    token = token.strip()
    if not token:
        raise EnrollmentRefused("Paste the access token Teller gave you.")
    if not (token.isascii() and token.isprintable()) or len(token) > 512:
        raise EnrollmentRefused("That is not a Teller access token: they are short plain letters and digits.")
    client = new_client(token)
    try:
        accounts = client.accounts()
    except TellerError as error:
        raise EnrollmentRefused(f"Teller refused the token ({error.status or 'no answer'} {error.code}).") from None
    finally:
        client.close()
    if not accounts:
        raise EnrollmentRefused("Teller answered, but this token opens no account.")
    enrollment_id = accounts[0].get("enrollment_id") or enrollment_id
    if not enrollment_id:
        raise EnrollmentRefused("Teller's answer names no enrollment.")
    enrollment = session.scalars(select(TellerEnrollment).where(
        TellerEnrollment.owner_id == scope.owner_id, TellerEnrollment.enrollment_id == enrollment_id)).first()
    if enrollment is None:
        enrollment = TellerEnrollment(owner_id=scope.owner_id, enrollment_id=enrollment_id)
        session.add(enrollment)
    enrollment.institution = ((accounts[0].get("institution") or {}).get("name") or None)
    enrollment.access_token = encryption.encrypt(token)
    enrollment.status, enrollment.status_reason = EnrollmentStatus.CONNECTED, None
    for link in enrollment.accounts:
        if link.status == TellerAccountStatus.STOPPED:
            link.status = TellerAccountStatus.SYNCING
    session.flush()
    record_event(session, AuditAction.TELLER_ENROLL, actor, scope.owner_id, target=f"teller_enrollment:{enrollment.id}",
                 details={"institution": enrollment.institution, "accounts": len(accounts)})
    return enrollment


def remove(session: Session, actor: Actor, enrollment: TellerEnrollment) -> None:
    """Disconnect: the token is dropped, the accounts and their history stay, marked as no longer syncing."""
    enrollment.status, enrollment.status_reason = EnrollmentStatus.REMOVED, "disconnected by the user"
    enrollment.access_token = ""
    for link in enrollment.accounts:
        link.status = TellerAccountStatus.STOPPED
    record_event(session, AuditAction.TELLER_REMOVE, actor, enrollment.owner_id,
                 target=f"teller_enrollment:{enrollment.id}")


def mark_disconnected(session: Session, actor: Actor, enrollment_id: str, reason: str) -> int:
    """A webhook said the bank login broke: every enrollment with that Teller id is marked, with the reason."""
    enrollments = session.scalars(select(TellerEnrollment).where(
        TellerEnrollment.enrollment_id == enrollment_id, TellerEnrollment.status == EnrollmentStatus.CONNECTED)).all()
    for enrollment in enrollments:
        enrollment.status, enrollment.status_reason = EnrollmentStatus.DISCONNECTED, (reason or "disconnected")[:255]
        record_event(session, AuditAction.TELLER_DISCONNECTED, actor, enrollment.owner_id,
                     target=f"teller_enrollment:{enrollment.id}", details={"reason": reason})
    return len(enrollments)


def enrollment_of(session: Session, scope: Scope, enrollment_id: int) -> TellerEnrollment | None:
    """One of the scope's own enrollments (connections are never shared), or None."""
    enrollment = session.get(TellerEnrollment, enrollment_id) if storable_id(enrollment_id) else None
    return enrollment if enrollment is not None and enrollment.owner_id == scope.user_id else None


def enrollments_of(session: Session, scope: Scope) -> list[TellerEnrollment]:
    return list(session.scalars(select(TellerEnrollment).where(TellerEnrollment.owner_id == scope.owner_id)
                                .order_by(TellerEnrollment.created_at, TellerEnrollment.id)))


def needing_reconnect(session: Session, scope: Scope) -> list[TellerEnrollment]:
    """The scope's connections the bank or Teller broke (revoked or disconnected): the dashboard asks to reconnect."""
    return list(session.scalars(select(TellerEnrollment).where(
        TellerEnrollment.owner_id == scope.user_id,
        TellerEnrollment.status.in_([EnrollmentStatus.DISCONNECTED, EnrollmentStatus.REVOKED]))
        .order_by(TellerEnrollment.id)))


def client_for(enrollment: TellerEnrollment, settings: ClientSettings) -> TellerClient:
    return TellerClient(encryption.decrypt(enrollment.access_token), settings)


@dataclass
class AccountSync:
    """What an account page shows of the bank connection that feeds the account."""

    enrollment: TellerEnrollment
    status: str  # the account's own: syncing, closed at the bank, or stopped
    can_sync: bool  # the viewer owns the connection and it is connected
    to_review: int  # pending-to-posted matches waiting for the viewer


def account_sync(session: Session, scope: Scope, account: Account) -> AccountSync | None:
    """The connection feeding ``account`` as the scope sees it; None for an account no bank feeds."""
    link = session.get(TellerAccount, account.id)
    if link is None:
        return None
    enrollment = link.enrollment
    can_sync = (enrollment.owner_id == scope.user_id and enrollment.status == EnrollmentStatus.CONNECTED
                and link.status == TellerAccountStatus.SYNCING)
    return AccountSync(enrollment, link.status, can_sync, open_review_count(session, scope, account.id))
