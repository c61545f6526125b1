"""Managing accounts: open, edit, close and reopen, delete. Plain functions of (session, scope, actor, values).

Each is audited and leaves committing to the caller. Names are unique per
owner ignoring case, so an account can always be named unambiguously (the
CLI's ``--account``).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.access import MANAGE, Scope
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.ledger import delete_account_transactions
from dashboard.models import Account, AccountShare, ImportBatch, Transaction
from dashboard.models.accounts import AccountSource

EDITABLE = ("name", "type", "institution", "last_four", "currency", "opening_balance", "opening_date")


class AccountError(ValueError):
    """A change refused for a reason the user can fix; the message says which."""


def accounts_named(session: Session, owner_id: int, name: str) -> list[Account]:
    """The owner's account called ``name``, ignoring case, as a list: at most one, as names are unique."""
    return list(session.scalars(select(Account).where(
        Account.owner_id == owner_id, func.lower(Account.name) == name.strip().lower()).order_by(Account.id)))


def _check_name_free(session: Session, owner_id: int, name: str, account_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise AccountError("An account needs a name.")
    if any(other.id != account_id for other in accounts_named(session, owner_id, name)):
        raise AccountError(f"You already have an account named {name}.")
    return name


def _save_unless_name_taken(session: Session, account: Account, name: str, changes: dict | None = None) -> None:
    """Add ``account`` (or apply ``changes`` to it) and flush in a savepoint: a request at the same moment may
    have taken ``name`` since ``_check_name_free`` looked, and then the unique index says so instead of a 500."""
    owner_id, account_id = account.owner_id, account.id
    try:
        with session.begin_nested():
            session.add(account)
            for field, value in (changes or {}).items():
                setattr(account, field, value)
    except IntegrityError:
        if any(other.id != account_id for other in accounts_named(session, owner_id, name)):
            raise AccountError(f"You already have an account named {name}.") from None
        raise


def open_account(session: Session, scope: Scope, actor: Actor, name: str, type: str, currency: str,
                 institution: str | None = None, last_four: str | None = None,
                 opening_balance: Decimal | None = None, opening_date: date | None = None) -> Account:
    """A new manual account for the scope's owner, audited; the caller commits."""
    name = _check_name_free(session, scope.owner_id, name)
    account = Account(owner_id=scope.owner_id, name=name, type=type, currency=currency.upper(),
                      institution=(institution or "").strip() or None, last_four=last_four or None,
                      source=AccountSource.MANUAL, opening_balance=opening_balance or Decimal(0),
                      opening_date=opening_date)
    _save_unless_name_taken(session, account, name)
    record_event(session, AuditAction.ACCOUNT_CREATE, actor, owner_id=account.owner_id,
                 target=f"account:{account.id}", details={"name": account.name, "currency": account.currency,
                                                          "opening_balance": str(account.opening_balance)})
    return account


def update_account(session: Session, scope: Scope, actor: Actor, account: Account, **values) -> dict:
    """Change any of ``EDITABLE`` on an account the scope may manage; returns {field: [old, new]} (audited).

    The currency changes only while the account holds no rows: its rows carry it.
    """
    scope.check(account.owner_id, account.id, MANAGE)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise AccountError(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    if "name" in values:
        values["name"] = _check_name_free(session, account.owner_id, values["name"], account.id)
    for text in ("institution", "last_four"):
        if text in values:
            values[text] = (values[text] or "").strip() or None
    if "currency" in values:
        values["currency"] = values["currency"].strip().upper()
    if "opening_balance" in values:
        values["opening_balance"] = values["opening_balance"] or Decimal(0)
    changes = {field: [getattr(account, field), value] for field, value in values.items()
               if getattr(account, field) != value}
    if "currency" in changes and session.scalar(select(func.count()).where(Transaction.account_id == account.id)):
        raise AccountError("The currency can change only while the account holds no transactions.")
    if changes:
        _save_unless_name_taken(session, account, values.get("name", account.name),
                                {field: value for field, (_, value) in changes.items()})
        record_event(session, AuditAction.ACCOUNT_EDIT, actor, owner_id=account.owner_id,
                     target=f"account:{account.id}",
                     details={field: [str(old) if old is not None else None, str(new) if new is not None else None]
                              for field, (old, new) in changes.items()})
    return changes


def set_closed(session: Session, scope: Scope, actor: Actor, account: Account, closed: bool) -> bool:
    """Close an account (kept in history and reports, off the dashboard's list, no new imports) or reopen it."""
    scope.check(account.owner_id, account.id, MANAGE)
    if account.closed == closed:
        return False
    account.closed = closed
    record_event(session, AuditAction.ACCOUNT_CLOSE if closed else AuditAction.ACCOUNT_REOPEN, actor,
                 owner_id=account.owner_id, target=f"account:{account.id}", details={"name": account.name})
    session.flush()
    return True


def deletion_summary(session: Session, account: Account) -> dict[str, int]:
    """What deleting the account takes with it: the confirmation page says so."""
    return {
        "transactions": session.scalar(select(func.count()).where(Transaction.account_id == account.id)),
        "imports": session.scalar(select(func.count()).where(ImportBatch.account_id == account.id)),
    }


def delete_account(session: Session, scope: Scope, actor: Actor, account: Account) -> dict[str, int]:
    """Delete the account, its rows (through the ledger, so totals stay exact) and its import batches; audited."""
    scope.check(account.owner_id, account.id, MANAGE)
    gone = deletion_summary(session, account)
    delete_account_transactions(session, account.owner_id, account.id)
    session.execute(delete(ImportBatch).where(ImportBatch.account_id == account.id))
    # Explicitly, not by the foreign key's cascade: SQLite (without PRAGMA foreign_keys) would keep the share,
    # and a later account given the same id would be shared with it.
    session.execute(delete(AccountShare).where(AccountShare.account_id == account.id))
    record_event(session, AuditAction.ACCOUNT_DELETE, actor, owner_id=account.owner_id,
                 target=f"account:{account.id}", details={"name": account.name, **gone})
    session.delete(account)
    session.flush()
    return gone
