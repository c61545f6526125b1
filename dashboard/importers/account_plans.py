"""Which account each statement of a file goes to, and the accounts an import finds or creates.

Several accounts in one file (a QuickBooks .qbo, a multi-account OFX or QIF):
the account the user chose takes the statement whose file account id it
already carries, otherwise the first statement no other account of its owner
carries; every further file account goes to the owner's account with that
external id, or to a new account named "<chosen name> ···<last four>". The
chosen account remembers the file's id for it, so the next month's file lands
the same way whatever the statement order. The batch belongs to the chosen
account and undoing it removes its rows from every account.

The accounts found and created are always the chosen account's owner's: a
scope that may write to a shared account imports into its owner's books.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.importers.identity import MAX_EXTERNAL_ID
from dashboard.importers.records import ParsedFile, ParsedStatement
from dashboard.models import Account
from dashboard.models.accounts import AccountSource


@dataclass
class AccountPlan:
    """Where one of the file's accounts goes: an existing account, or one the import creates."""

    name: str
    account: Account | None  # None: created by the import
    file_account_id: str | None
    statements: list[ParsedStatement] = field(default_factory=list)
    read: int = 0
    new: int = 0

    @property
    def duplicates(self) -> int:
        return self.read - self.new

    @property
    def foreign_currencies(self) -> list[str]:
        """Currencies the file states for this account that differ from the account's own."""
        if self.account is None:
            return []
        stated = {s.currency.upper() for s in self.statements if s.currency}
        stated |= {t.currency.upper() for s in self.statements for t in s.transactions if t.currency}
        return sorted(stated - {self.account.currency})


def plan_accounts(session: Session, account: Account, parsed: ParsedFile) -> list[AccountPlan]:
    """Which account each statement goes to (see the module docstring); writes nothing.

    The caller has checked that it may write to ``account``.
    """
    keys = list(dict.fromkeys(file_id for s in parsed.statements if (file_id := file_account_id(s))))
    targets: dict[str | None, Account | None] = {None: account}
    if len(keys) == 1:
        targets[keys[0]] = account
    elif keys:
        known = {a.external_id: a for a in session.scalars(
            select(Account).where(Account.owner_id == account.owner_id, Account.external_id.in_(keys))
            .order_by(Account.id)
        ) if a.id != account.id}
        chosen_taken = account.external_id in keys
        for key in keys:
            if key == account.external_id:
                targets[key] = account
            elif key in known:
                targets[key] = known[key]
            elif not chosen_taken:
                targets[key], chosen_taken = account, True
            else:
                targets[key] = None
    plans: dict[object, AccountPlan] = {}
    for statement in parsed.statements:
        file_id = file_account_id(statement)
        target = targets[file_id]
        plan_key = target.id if target is not None else file_id
        if plan_key not in plans:
            name = target.name if target is not None else new_account_name(account.name, file_id)
            plans[plan_key] = AccountPlan(name, target, file_id)
        plans[plan_key].statements.append(statement)
        plans[plan_key].read += len(statement.transactions)
    return list(plans.values())


def new_account_name(chosen_name: str, file_account_id: str) -> str:
    """ "Checking ···9041" for a numbered account; "Checking · Cash" for a named one (QIF)."""
    plain = re.sub(r"\W", "", file_account_id)
    if any(character.isdigit() for character in plain):
        return f"{chosen_name} ···{plain[-4:]}"[:120]
    return f"{chosen_name} · {file_account_id}"[:120]


def named_account(session: Session, scope: Scope, name: str) -> Account | None:
    """The scope's own account called ``name`` (ignoring case, as names are unique), if it has one."""
    return session.scalar(select(Account).where(
        Account.owner_id == scope.owner_id, func.lower(Account.name) == name.strip().lower()).limit(1))


def account_for_import(session: Session, scope: Scope, name: str, parsed: ParsedFile,
                       default_currency: str = "USD") -> Account:
    """The scope's own account called ``name``, or a new one shaped by the file's first statement.

    Its currency is the file's, else ``default_currency``.
    """
    account = named_account(session, scope, name)
    if account is not None:
        return account
    first = parsed.statements[0] if parsed.statements else ParsedStatement()
    currency = next((t.currency for t in first.transactions if t.currency), default_currency)
    account = _new_file_account(scope.owner_id, name, first, account_type="checking", institution=None,
                                currency=currency)
    session.add(account)
    session.flush()
    return account


def free_account_name(session: Session, owner_id: int, name: str) -> str:
    """``name``, or "name (2)", "name (3)", ... when the owner has an account of that name (ignoring case):
    names are unique per owner, so an account an import or a sync creates never takes one in use."""
    taken = {other.lower() for other in session.scalars(select(Account.name).where(Account.owner_id == owner_id))}
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{name[:110]} ({number})"
    return candidate


def further_account(session: Session, chosen: Account, plan: AccountPlan) -> Account:
    """Create the account for a further statement; a concurrent import may have just created it."""
    new = _new_file_account(chosen.owner_id, free_account_name(session, chosen.owner_id, plan.name),
                            plan.statements[0], account_type=chosen.type,
                            institution=chosen.institution, currency=chosen.currency,
                            file_account_id=plan.file_account_id)
    try:
        with session.begin_nested():
            session.add(new)
    except IntegrityError:
        return session.scalars(select(Account).where(
            Account.owner_id == chosen.owner_id, Account.source == AccountSource.FILE,
            Account.external_id == plan.file_account_id,
        )).one()
    return new


def remember_file_account_id(session: Session, account: Account, file_account_id: str) -> None:
    """Keep the file's id for the chosen account, unless it has one or another account of its owner does."""
    if account.external_id is not None:
        return
    taken = session.scalar(select(Account.id).where(
        Account.owner_id == account.owner_id, Account.external_id == file_account_id).limit(1))
    if taken is None:
        account.external_id = file_account_id
        account.last_four = account.last_four or _last_four(file_account_id)


def file_account_id(statement: ParsedStatement) -> str | None:
    """The statement's account id as an account stores it; of one longer than the column, the end, which
    tells account numbers apart and gives the last four digits."""
    return statement.account_id[-MAX_EXTERNAL_ID:] if statement.account_id else None


def clipped(text: str | None, limit: int) -> str | None:
    """The file's text cut to fit its column; None for no text."""
    return text[:limit] if text else None


def _new_file_account(owner_id: int, name: str, statement: ParsedStatement, account_type: str,
                      institution: str | None, currency: str, file_account_id: str | None = None) -> Account:
    """An account shaped by the statement, else by the given values; the file's text cut to fit the columns."""
    return Account(owner_id=owner_id, name=name, source=AccountSource.FILE, external_id=file_account_id,
                   type=(statement.account_type or account_type)[:32],
                   institution=clipped(statement.institution or institution, 120),
                   currency=(statement.currency or currency).strip().upper()[:3],
                   last_four=_last_four(file_account_id))


def _last_four(file_account_id: str | None) -> str | None:
    """The last four digits of the file's account id; none when it holds no digits (a QIF account named
    "Income" is not the number ···come)."""
    return re.sub(r"\D", "", file_account_id or "")[-4:] or None
