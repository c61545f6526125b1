"""The ownership seam: whose rows a request may read or write, checked in one place.

A :class:`Scope` says which accounts a request sees: the signed-in user's
own, the accounts shared with them (each with the access the share grants),
or, only when asked for explicitly on organisation-wide pages, everyone's
(read-only). Every query that reads user data takes a Scope and filters with
:meth:`Scope.rows` or :meth:`Scope.accounts`; every fetch by id goes through
one of the ``*_or_404`` helpers below, which answer 404 when the row is not
visible (another user's id looks exactly like one that does not exist) and
403 when it is visible but the access asked for is not granted.

The pages, the CLI, the API and the bank sync build a Scope and call the same
functions, so isolation is proved once and holds everywhere.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import ColumnElement, Exists, exists, false, or_, select, true
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden, NotFound

from dashboard.extensions import db
from dashboard.models import (
    Account, AccountShare, Budget, Category, CategoryMapping, ImportBatch, Rule, TellerMatchReview, Transaction,
    User,
)

LARGEST_ID = 2 ** 63  # SQLite refuses to bind a larger integer; PostgreSQL's BIGINT ends there too


class Need(IntEnum):
    """What a request wants to do with a row; each level includes the ones below it."""

    READ = 1  # see it
    WRITE = 2  # change its transactions: edit, categorise, import, undo
    MANAGE = 3  # change the account itself: rename, close, delete, share


READ, WRITE, MANAGE = Need.READ, Need.WRITE, Need.MANAGE


def storable_id(value: int) -> bool:
    """Whether ``value`` can be a row id on both engines: anything else names no row."""
    return 0 < value < LARGEST_ID


@dataclass(frozen=True)
class Scope:
    """Whose rows one request may see, and what it may do with them.

    Build one with :meth:`of_user` (a signed-in user, the CLI acting for a
    user, an API token's user, a sync) or :meth:`organisation` (admin and
    viewer pages over everyone's data, read-only). ``shared`` maps the ids of
    other users' accounts shared with this user to the access each share grants.
    """

    user_id: int | None
    shared: Mapping[int, Need] = field(default_factory=lambda: MappingProxyType({}))
    everyone: bool = False
    # The email of the owner of each account in ``shared``: the pages mark those accounts as someone else's.
    sharers: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of_user(cls, user_id: int, shared: Mapping[int, Need] | None = None,
                sharers: Mapping[int, str] | None = None) -> Scope:
        if user_id is None:
            raise ValueError("a user's scope needs the user's id")
        return cls(user_id=user_id, shared=MappingProxyType(dict(shared or {})),
                   sharers=MappingProxyType(dict(sharers or {})))

    @classmethod
    def organisation(cls) -> Scope:
        """Everyone's rows, read-only: only for organisation-wide pages that ask for it by name."""
        return cls(user_id=None, everyone=True)

    @property
    def owner_id(self) -> int:
        """The user whose new rows (a new account, an import's batch) this scope creates."""
        if self.user_id is None:
            raise PermissionError("the organisation scope owns nothing and creates nothing")
        return self.user_id

    def rows(self, model: type, need: Need = READ) -> ColumnElement[bool]:
        """WHERE clause for a table carrying ``owner_id`` and ``account_id`` (transactions, batches, totals):
        the rows this scope may ``need``."""
        return self._criteria(model.owner_id, model.account_id, need)

    def row_parts(self, model: type, need: Need = READ) -> list[ColumnElement[bool]]:
        """:meth:`rows` as disjoint parts, the scope's own rows and then each shared account's, for a read in
        index order: PostgreSQL cannot walk an index in order through ``owner_id = X OR account_id IN (…)``, so it
        read and sorted every row the scope sees, where each part is one ordered index range. Narrow a query
        that already has :meth:`rows` with them: they say where to read, not what may be read."""
        if self.everyone:
            return [true()]
        shared = sorted(account_id for account_id, granted in self.shared.items() if granted >= need)
        return [model.owner_id == self.user_id] + [model.account_id == account_id for account_id in shared]

    def accounts(self, need: Need = READ) -> ColumnElement[bool]:
        """WHERE clause for the accounts this scope may ``need``."""
        return self._criteria(Account.owner_id, Account.id, need)

    def _criteria(self, owner_column, account_column, need: Need) -> ColumnElement[bool]:
        if self.everyone:
            return true() if need == READ else false()
        own = owner_column == self.user_id
        shared = [account_id for account_id, granted in self.shared.items() if granted >= need]
        return or_(own, account_column.in_(shared)) if shared else own

    def access_to(self, owner_id: int, account_id: int) -> Need | None:
        """The access this scope has to one account's rows; None when it cannot see them."""
        if self.everyone:
            return READ
        if owner_id == self.user_id:
            return MANAGE
        return self.shared.get(account_id)

    def shared_by(self, account_id: int) -> str | None:
        """The owner's email when the account is someone else's, shared with this scope's user; else None."""
        return self.sharers.get(account_id)

    def allows(self, owner_id: int, account_id: int, need: Need) -> bool:
        granted = self.access_to(owner_id, account_id)
        return granted is not None and granted >= need

    def check(self, owner_id: int, account_id: int, need: Need) -> None:
        """Raise 404 when the account is invisible to this scope, 403 when visible but ``need`` is not granted."""
        granted = self.access_to(owner_id, account_id)
        if granted is None:
            raise NotFound()
        if granted < need:
            raise Forbidden("You can see this account but not change it.")


def account_or_404(session: Session, scope: Scope, account_id: int, need: Need = READ) -> Account:
    """The account with this id if the scope sees it (404 otherwise) and grants ``need`` (403 otherwise)."""
    account = session.get(Account, account_id) if storable_id(account_id) else None
    if account is None:
        raise NotFound()
    scope.check(account.owner_id, account.id, need)
    return account


def transaction_or_404(session: Session, scope: Scope, transaction_id: int, need: Need = READ) -> Transaction:
    """The transaction with this id if the scope sees its account and grants ``need``."""
    return _account_row_or_404(session, scope, Transaction, transaction_id, need)


def transaction_ids_or_404(session: Session, scope: Scope, transaction_ids: Iterable[int],
                           need: Need = WRITE) -> list[int]:
    """The ids, sorted and unique, when every one is a transaction the scope may ``need``; 404 or 403 otherwise.

    One query whatever the number of ids; nothing is changed by a refusal.
    """
    ids = sorted(set(transaction_ids))
    if not all(storable_id(i) for i in ids):
        raise NotFound()
    found = session.execute(
        select(Transaction.owner_id, Transaction.account_id).where(Transaction.id.in_(ids))
    ).all() if ids else []
    if len(found) != len(ids):
        raise NotFound()
    for owner_id, account_id in set(found):
        scope.check(owner_id, account_id, need)
    return ids


def batch_or_404(session: Session, scope: Scope, batch_id: int, need: Need = READ,
                 account: Account | None = None) -> ImportBatch:
    """The import batch with this id if the scope sees it (and, given ``account``, it belongs to that account)."""
    batch = _account_row_or_404(session, scope, ImportBatch, batch_id, need)
    if account is not None and batch.account_id != account.id:
        raise NotFound()
    return batch


def match_review_or_404(session: Session, scope: Scope, review_id: int, need: Need = READ) -> TellerMatchReview:
    """A pending-to-posted match on the Teller review list, if the scope sees its account and grants ``need``."""
    return _account_row_or_404(session, scope, TellerMatchReview, review_id, need)


def _account_row_or_404(session: Session, scope: Scope, model: type, row_id: int, need: Need):
    """A row of a table that carries ``owner_id`` and ``account_id``, checked against the scope."""
    row = session.get(model, row_id) if storable_id(row_id) else None
    if row is None:
        raise NotFound()
    scope.check(row.owner_id, row.account_id, need)
    return row


def category_or_404(session: Session, scope: Scope, category_id: int) -> Category:
    """One of the scope owner's categories (categories are never shared): 404 for any other id."""
    return _owned_or_404(session, scope, Category, category_id)


def category_mapping_or_404(session: Session, scope: Scope, mapping_id: int) -> CategoryMapping:
    """One of the scope owner's source-category mappings: 404 for any other id."""
    return _owned_or_404(session, scope, CategoryMapping, mapping_id)


def rule_or_404(session: Session, scope: Scope, rule_id: int) -> Rule:
    """One of the scope owner's rules (rules are never shared): 404 for any other id."""
    return _owned_or_404(session, scope, Rule, rule_id)


def budget_or_404(session: Session, scope: Scope, budget_id: int) -> Budget:
    """One of the scope owner's budgets (budgets are never shared): 404 for any other id."""
    return _owned_or_404(session, scope, Budget, budget_id)


def _owned_or_404(session: Session, scope: Scope, model: type, row_id: int):
    row = session.get(model, row_id) if storable_id(row_id) else None
    if row is None or scope.everyone or row.owner_id != scope.user_id:
        raise NotFound()
    return row


def shares_of(session: Session, user_id: int) -> Scope:
    """The scope of one user: their own accounts and the accounts shared with them, read as they are now."""
    rows = session.execute(
        select(AccountShare.account_id, AccountShare.can_write, User.email)
        .join(User, User.id == AccountShare.owner_id)
        .where(AccountShare.user_id == user_id, User.active.is_(True))
    ).all()
    return Scope.of_user(user_id,
                         shared={account_id: WRITE if can_write else READ for account_id, can_write, _ in rows},
                         sharers={account_id: email for account_id, _, email in rows})


def has_shares(user_id) -> Exists:
    """Whether any account is shared with the user (an id, or a column such as ``User.id``), as SQL: the sign-in
    check reads it with the user, so a request of someone nothing is shared with skips :func:`shares_of`."""
    return exists().where(AccountShare.user_id == user_id)


def scope_for(user) -> Scope:
    """The scope of a signed-in user's (or an API token's user's) request, shares included.

    Read once per request (kept on ``g``), so a revoked share stops working on the next request.
    """
    if not has_request_context():
        return shares_of(db.session, user.id)
    cached = g.get("access_scope")
    if cached is None or cached.user_id != user.id:
        cached = g.access_scope = shares_of(db.session, user.id)
    return cached


def nothing_shared_with(user_id: int) -> None:
    """The sign-in check read :func:`has_shares` false: this request's scope is the user's own accounts, known
    without reading the shares."""
    g.access_scope = Scope.of_user(user_id)


def shared_by(account_id: int) -> str | None:
    """For templates: the owner's email when the signed-in user sees this account through a share."""
    if not current_user.is_authenticated:
        return None
    return scope_for(current_user).shared_by(account_id)


def _forget_scope(_error=None) -> None:
    """Each request reads the shares anew, even where ``g`` outlives a request (an app context kept open); at
    the end of a request, so the sign-in check at the start of the next one may fill it."""
    g.pop("access_scope", None)


def init_app(app) -> None:
    app.add_template_global(shared_by)
    app.teardown_request(_forget_scope)
