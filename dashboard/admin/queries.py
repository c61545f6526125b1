"""Figures about the whole installation, for the admin overview."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.models import Account, ImportBatch, MonthlyTotal, User
from dashboard.models.users import Role


@dataclass
class InstallationFigures:
    users: int
    active_users: int
    admins: int
    accounts: int
    transactions: int
    imports: int
    last_import_at: datetime | None


def installation_figures(session: Session, scope: Scope) -> InstallationFigures:
    """Counts of users, and of the accounts, transactions and imports the scope sees (the organisation's
    on the admin page); transactions are counted from the monthly totals, not row by row."""
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
    )
