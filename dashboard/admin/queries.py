"""Figures about the whole installation, for the admin overview, and the audit log's pages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, aliased

from dashboard.access import Scope
from dashboard.models import Account, AuditEvent, ImportBatch, MonthlyTotal, User
from dashboard.models.users import Role, normalise_email
from dashboard.audit import AuditAction
from dashboard.models.base import utcnow
from dashboard.paging import Position, decode_key, encode_key

FAILED_LOGIN_WINDOW = timedelta(hours=24)


@dataclass
class InstallationFigures:
    users: int
    active_users: int
    admins: int
    accounts: int
    transactions: int
    imports: int
    last_import_at: datetime | None
    failed_logins: int  # in the last FAILED_LOGIN_WINDOW
    audit_events: int


def installation_figures(session: Session, scope: Scope) -> InstallationFigures:
    """Counts of users, and of the accounts, transactions and imports the scope sees (the organisation's
    on the admin page), failed logins of the last day and audit events; transactions are counted from the
    monthly totals, not row by row."""
    users, active, admins = session.execute(select(
        func.count(), func.count().filter(User.active.is_(True)), func.count().filter(User.role == Role.ADMIN),
    ).select_from(User)).one()
    imports, last_import = session.execute(
        select(func.count(), func.max(ImportBatch.created_at)).where(scope.rows(ImportBatch), ImportBatch.undone_at.is_(None))
    ).one()
    return InstallationFigures(
        users=users, active_users=active, admins=admins,
        accounts=session.scalar(select(func.count()).select_from(Account).where(scope.accounts())),
        transactions=int(session.scalar(
            select(func.coalesce(func.sum(MonthlyTotal.transactions), 0)).where(scope.rows(MonthlyTotal)))),
        imports=imports, last_import_at=last_import,
        failed_logins=session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == AuditAction.AUTH_LOGIN_FAILED, AuditEvent.created_at >= utcnow() - FAILED_LOGIN_WINDOW)),
        audit_events=session.scalar(select(func.count()).select_from(AuditEvent)),
    )


SYSTEM_ACTOR = "system"  # what the audit filter calls the CLI, cron and jobs (no user)
AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    """What the admin asked to see; emails as typed, ``actor`` may be :data:`SYSTEM_ACTOR`."""

    actor: str = ""
    owner: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class AuditRow:
    event: AuditEvent
    actor_email: str | None
    owner_email: str | None


@dataclass
class AuditPage:
    """Newest first; ``has_newer``/``has_older`` and the keys are what the pagination macro reads."""

    rows: list[AuditRow]
    has_newer: bool
    has_older: bool

    @property
    def first_key(self) -> str | None:
        return encode_key(self.rows[0].event.created_at, self.rows[0].event.id) if self.rows else None

    @property
    def last_key(self) -> str | None:
        return encode_key(self.rows[-1].event.created_at, self.rows[-1].event.id) if self.rows else None


def audit_position(after: str | None, before: str | None, last: bool) -> Position:
    """The page the URL's cursors name; a malformed cursor means the first page."""
    return Position(after=decode_key(after, datetime.fromisoformat), before=decode_key(before, datetime.fromisoformat),
                    last=last)


def _user_id(email: str):
    return select(User.id).where(User.email == normalise_email(email)).scalar_subquery()


def audit_page(session: Session, filters: AuditFilter, position: Position, per_page: int = AUDIT_PAGE_SIZE) -> AuditPage:
    """One page of events, newest first, read by keyset on (time, id) with the actor's and owner's emails."""
    actor, owner = aliased(User), aliased(User)
    query = (select(AuditEvent, actor.email, owner.email)
             .outerjoin(actor, actor.id == AuditEvent.actor_id).outerjoin(owner, owner.id == AuditEvent.owner_id))
    if filters.actor == SYSTEM_ACTOR:
        query = query.where(AuditEvent.actor_id.is_(None))
    elif filters.actor:
        query = query.where(AuditEvent.actor_id == _user_id(filters.actor))
    if filters.owner:
        query = query.where(AuditEvent.owner_id == _user_id(filters.owner))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.date_from:
        query = query.where(AuditEvent.created_at >= datetime.combine(filters.date_from, time.min))
    if filters.date_to:
        query = query.where(AuditEvent.created_at < datetime.combine(filters.date_to + timedelta(days=1), time.min))
    place = tuple_(AuditEvent.created_at, AuditEvent.id)
    key = None if position.last else position.after or position.before
    backwards = position.before is not None or position.last
    if key is not None:
        query = query.where(place > key if position.before is not None else place < key)
    order = (AuditEvent.created_at.asc(), AuditEvent.id.asc()) if backwards else (
        AuditEvent.created_at.desc(), AuditEvent.id.desc())
    rows = [AuditRow(*row) for row in session.execute(query.order_by(*order).limit(per_page + 1))]
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
        return AuditPage(rows, has_newer=more, has_older=not position.last)
    return AuditPage(rows, has_newer=position.after is not None, has_older=more)
