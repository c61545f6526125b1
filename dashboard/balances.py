"""Stated balances and reconciliation: what files and banks said an account held, checked against its rows.

An account's computed balance is its opening balance plus the sum of its
posted rows. Every balance a source states is kept (``StatedBalance``) with
its date; the account's ``ledger_balance`` is always the newest closing one
kept, so undoing an import that stated a balance brings back the one it
replaced. An opening balance (camt ``OPBD``) is kept for reconciliation only.
Where a source states the balance after each row (a CSV balance column,
Teller's ``running_balance``), :func:`first_departures` names the first row
where those depart from opening balance + rows.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import groupby

from sqlalchemy import delete, func, select, type_coerce
from sqlalchemy.orm import Session

from dashboard.access import WRITE, Scope
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.models import Account, Money, StatedBalance, Transaction
from dashboard.models.accounts import TransactionStatus
from dashboard.models.base import utcnow

ZERO = Decimal(0)


def record_stated_balance(session: Session, account: Account, as_of: datetime, ledger: Decimal | None,
                          available: Decimal | None, batch_id: int | None = None) -> StatedBalance | None:
    """Keep one stated balance and make the account's stated balance the newest kept; None when none stated."""
    if ledger is None and available is None:
        return None
    stated = StatedBalance(owner_id=account.owner_id, account_id=account.id, batch_id=batch_id, date=as_of.date(),
                           as_of=as_of, amount=ledger if ledger is not None else available, available=available)
    session.add(stated)
    session.flush()
    refresh_stated_balance(session, account)
    return stated


def record_opening_balance(session: Session, account: Account, day: date, amount: Decimal,
                           batch_id: int | None = None) -> StatedBalance:
    """Keep a balance stated before the rows of ``day`` (camt OPBD): checked as the balance at the end of the
    day before, never shown as the account's stated balance."""
    before = day - timedelta(days=1)
    stated = StatedBalance(owner_id=account.owner_id, account_id=account.id, batch_id=batch_id, date=before,
                           as_of=datetime.combine(before, time()), amount=amount, opening=True)
    session.add(stated)
    session.flush()
    return stated


def refresh_stated_balance(session: Session, account: Account) -> None:
    """The account's stated ledger and available balance: the newest closing balance kept, or none."""
    newest = session.scalars(select(StatedBalance).where(StatedBalance.account_id == account.id,
                                                         StatedBalance.opening.is_(False))
                             .order_by(StatedBalance.as_of.desc(), StatedBalance.id.desc()).limit(1)).first()
    account.ledger_balance = newest.amount if newest else None
    account.available_balance = newest.available if newest else None
    account.balance_as_of = newest.as_of if newest else None


def posted_sum(session: Session, account_id: int, through: date | None = None) -> Decimal:
    """The sum of the account's posted rows, up to and including ``through`` when given."""
    query = select(type_coerce(func.sum(Transaction.amount), Money)).where(
        Transaction.account_id == account_id, Transaction.status == TransactionStatus.POSTED)
    if through is not None:
        query = query.where(Transaction.date <= through)
    return session.scalar(query) or ZERO


def open_from_stated(session: Session, account: Account, stated: StatedBalance) -> None:
    """Give an account whose first rows came from this file the opening balance the file implies:
    its stated balance less the posted rows up to that date."""
    account.opening_balance = stated.amount - posted_sum(session, account.id, stated.date)
    account.opening_date = session.scalar(select(func.min(Transaction.date))
                                          .where(Transaction.account_id == account.id))
    stated.gave_opening = True


def open_from_import(session: Session, account: Account, batch_id: int, first_rows: bool,
                     stated: list[StatedBalance]) -> None:
    """Open the account from the balances an import stated when its rows are the account's first. When files
    opened the account and this import brought rows dated up to a balance kept before it (an older statement
    after a newer one, or a missing month filled in), open it again from every balance kept, so each agrees
    as if the files had come in date order. Rows after every earlier balance leave the opening as it was."""
    if first_rows and account.opening_date is None:
        if stated:
            open_from_stated(session, account, _opening_source(stated))
        return
    if account.opening_date is None or not _opened_by_files(session, account):
        return
    earliest = session.scalar(select(func.min(Transaction.date)).where(Transaction.batch_id == batch_id,
                                                                       Transaction.account_id == account.id))
    latest_before = session.scalar(select(func.max(StatedBalance.date)).where(
        StatedBalance.account_id == account.id, StatedBalance.batch_id.is_distinct_from(batch_id)))
    if earliest is not None and latest_before is not None and earliest <= latest_before:
        _open_again(session, account)


def _opened_by_files(session: Session, account: Account) -> bool:
    return session.scalar(select(select(StatedBalance.id).where(
        StatedBalance.account_id == account.id, StatedBalance.gave_opening.is_(True)).exists()))


def _opening_source(balances: Sequence[StatedBalance]) -> StatedBalance:
    """Of an account's stated balances (at least one), the one it opens from: the earliest opening balance, else
    the newest closing one."""
    openings = [balance for balance in balances if balance.opening]
    if openings:
        return min(openings, key=lambda s: (s.date, s.id))
    return max(balances, key=lambda s: (s.as_of, s.id))


def batch_stated_balances(session: Session, batch_id: int) -> list[StatedBalance]:
    """The balances one import stated, oldest first: what undoing it forgets."""
    return list(session.scalars(select(StatedBalance).where(StatedBalance.batch_id == batch_id)
                                .order_by(StatedBalance.date, StatedBalance.id)))


def forget_batch_balances(session: Session, batch_id: int, account_ids: set[int]) -> None:
    """Undoing an import (its rows gone from ``account_ids`` and those it stated for): drop what it stated,
    give each account it stated for the balance it had before. An account files opened is opened again from
    the balances still kept (the earliest opening balance, else the newest closing one, less the rows), so the
    other files' balances still agree; with none kept, its opening balance is zero again."""
    stated = batch_stated_balances(session, batch_id)
    accounts = {s.account_id: session.get(Account, s.account_id) for s in stated}
    accounts |= {account_id: session.get(Account, account_id) for account_id in account_ids - accounts.keys()}
    opened = {account.id for account in accounts.values() if _opened_by_files(session, account)}
    session.execute(delete(StatedBalance).where(StatedBalance.batch_id == batch_id))
    for account in accounts.values():
        refresh_stated_balance(session, account)
        if account.id in opened:
            _open_again(session, account)


def _open_again(session: Session, account: Account) -> None:
    kept = session.scalars(select(StatedBalance).where(StatedBalance.account_id == account.id)).all()
    if kept:
        open_from_stated(session, account, _opening_source(kept))
    else:
        account.opening_balance, account.opening_date = ZERO, None


@dataclass
class Check:
    """One stated balance against the running sum up to its date."""

    account: str
    date: date
    stated: Decimal
    computed: Decimal
    previous: date | None  # the stated balance before: a new difference arises between the two
    reconciled: bool
    stated_id: int

    @property
    def difference(self) -> Decimal:
        return self.stated - self.computed


def reconciliation(session: Session, scope: Scope, account_id: int | None = None) -> list[Check]:
    """Every stated balance of the scope's accounts (or one), oldest first, each against opening balance +
    posted rows up to its date. One query for the balances, one for the daily sums."""
    query = (select(StatedBalance, Account.name, Account.opening_balance)
             .join(Account, Account.id == StatedBalance.account_id)
             .where(scope.accounts()).order_by(Account.name, Account.id, StatedBalance.date, StatedBalance.id))
    if account_id is not None:
        query = query.where(Account.id == account_id)
    stated = session.execute(query).all()
    ids = {balance.account_id for balance, _, _ in stated}
    daily = session.execute(
        select(Transaction.account_id, Transaction.date, type_coerce(func.sum(Transaction.amount), Money))
        .where(scope.rows(Transaction), Transaction.account_id.in_(ids),
               Transaction.status == TransactionStatus.POSTED)
        .group_by(Transaction.account_id, Transaction.date).order_by(Transaction.account_id, Transaction.date)
    ).all()
    by_account: dict[int, list[tuple[date, Decimal]]] = {}
    for owner_account, day, total in daily:
        by_account.setdefault(owner_account, []).append((day, total))
    checks, previous = [], {}
    for balance, name, opening in stated:
        through = sum((t for day, t in by_account.get(balance.account_id, ()) if day <= balance.date), ZERO)
        checks.append(Check(name, balance.date, balance.amount, opening + through,
                            previous.get(balance.account_id), balance.reconciled_at is not None, balance.id))
        previous[balance.account_id] = balance.date
    return checks


def first_difference(checks: list[Check]) -> Check | None:
    """The first stated balance whose difference is new (not carried from the one before): where to look."""
    carried: dict[str, Decimal] = {}
    for check in checks:
        if check.difference != carried.get(check.account, ZERO):
            return check
        carried[check.account] = check.difference
    return None


@dataclass
class RowDeparture:
    """The first row after which the balance its source stated is not opening balance + rows."""

    account: str
    account_id: int
    transaction_id: int
    date: date
    description: str
    amount: Decimal
    stated: Decimal  # the source's running balance after the row
    computed: Decimal

    @property
    def difference(self) -> Decimal:
        return self.stated - self.computed


def first_departures(session: Session, scope: Scope, account_id: int | None = None) -> list[RowDeparture]:
    """For each of the scope's accounts (or one) whose rows carry the source's running balance, the first row
    where it departs from opening balance + posted rows; accounts that agree throughout are left out.

    Rows of one day may stand in the file in either order (oldest first or newest first), so a day agrees
    when its running balances follow its rows in either order; when neither does, the row named is where
    the order that agreed longer departs.
    """
    query = (select(Account).where(scope.accounts(), select(Transaction.id).where(
        Transaction.account_id == Account.id, Transaction.stated_balance.is_not(None)).exists())
        .order_by(Account.name, Account.id))
    if account_id is not None:
        query = query.where(Account.id == account_id)
    departures = []
    for account in session.scalars(query):
        departure = _first_departure(session, scope, account)
        if departure is not None:
            departures.append(departure)
    return departures


def _first_departure(session: Session, scope: Scope, account: Account) -> RowDeparture | None:
    posted = (scope.rows(Transaction), Transaction.account_id == account.id,
              Transaction.status == TransactionStatus.POSTED)
    daily = session.execute(select(Transaction.date, type_coerce(func.sum(Transaction.amount), Money))
                            .where(*posted).group_by(Transaction.date)).all()
    stated_days = select(Transaction.date).where(*posted, Transaction.stated_balance.is_not(None)).distinct()
    rows = session.execute(select(Transaction.id, Transaction.date, Transaction.description, Transaction.amount,
                                  Transaction.stated_balance)
                           .where(*posted, Transaction.date.in_(stated_days))
                           .order_by(Transaction.date, Transaction.id)).all()
    before_day, running = {}, account.opening_balance
    for day, total in sorted(daily):
        before_day[day] = running
        running += total
    for day, of_day in groupby(rows, key=lambda row: row.date):
        of_day = list(of_day)
        attempts = [_departure_in_order(before_day[day], order) for order in (of_day, of_day[::-1])]
        if all(departure is not None for departure in attempts):
            _, row, computed = max(attempts, key=lambda attempt: attempt[0])  # a tie: file order
            return RowDeparture(account.name, account.id, row.id, row.date, row.description, row.amount,
                                row.stated_balance, computed)
    return None


def _departure_in_order(start: Decimal, rows: list) -> tuple[int, object, Decimal] | None:
    """Running the rows in this order from ``start``: (rows agreeing before it, the departing row, the computed
    balance after it), or None when every stated running balance agrees."""
    running, agreed = start, 0
    for row in rows:
        running += row.amount
        if row.stated_balance is None:
            continue
        if row.stated_balance != running:
            return agreed, row, running
        agreed += 1
    return None


def mark_reconciled(session: Session, scope: Scope, actor: Actor, account: Account, stated_id: int) -> bool:
    """Mark the period up to one of the account's stated balances reconciled (it must agree); audited."""
    scope.check(account.owner_id, account.id, WRITE)
    check = next((c for c in reconciliation(session, scope, account.id) if c.stated_id == stated_id), None)
    if check is None or check.difference != 0 or check.reconciled:
        return False
    session.get(StatedBalance, stated_id).reconciled_at = utcnow()
    record_event(session, AuditAction.ACCOUNT_RECONCILE, actor, owner_id=account.owner_id,
                 target=f"account:{account.id}", details={"through": check.date.isoformat(),
                                                          "balance": str(check.stated)})
    return True
