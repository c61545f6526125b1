"""Sharing an account with another user of the installation, read-only or read-write.

Only the owner (``MANAGE``) shares or stops sharing; the share itself is read by
:func:`dashboard.access.shares_of` on each request, so a change takes effect on
the other user's next request.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dashboard.access import MANAGE, Scope
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.auth.services import find_user
from dashboard.models import Account, AccountShare, User


class ShareError(ValueError):
    """The share cannot be made: no such user, the owner themself, a deactivated user."""


def account_shares(session: Session, account: Account) -> list[tuple[AccountShare, str]]:
    """The account's shares, each with the email of the user it is shared with, by email."""
    return list(session.execute(
        select(AccountShare, User.email).join(User, User.id == AccountShare.user_id)
        .where(AccountShare.account_id == account.id).order_by(User.email)
    ).tuples())


def share_account(session: Session, scope: Scope, actor: Actor, account: Account, email: str,
                  can_write: bool = False) -> AccountShare:
    """Share ``account`` with the user of ``email``, or change the access of an existing share."""
    scope.check(account.owner_id, account.id, MANAGE)
    user = find_user(session, email)
    if user is None or not user.active:
        raise ShareError(f"there is no active user {email.strip()}")
    if user.id == account.owner_id:
        raise ShareError("the account is already yours")
    share = session.scalar(select(AccountShare).where(AccountShare.account_id == account.id,
                                                      AccountShare.user_id == user.id))
    if share is None:
        share = AccountShare(account_id=account.id, owner_id=account.owner_id, user_id=user.id)
        session.add(share)
    elif share.can_write == can_write:
        return share
    share.can_write = can_write
    session.flush()
    record_event(session, AuditAction.SHARE_ADD, actor, owner_id=account.owner_id, target=str(account.id),
                 details={"with": user.email, "access": "write" if can_write else "read"})
    return share


def unshare_account(session: Session, scope: Scope, actor: Actor, account: Account, email: str) -> bool:
    """Stop sharing ``account`` with the user of ``email``; False when it was not shared with them."""
    scope.check(account.owner_id, account.id, MANAGE)
    user = find_user(session, email)
    if user is None:
        return False
    removed = session.execute(delete(AccountShare).where(AccountShare.account_id == account.id,
                                                         AccountShare.user_id == user.id)).rowcount
    if removed:
        record_event(session, AuditAction.SHARE_REMOVE, actor, owner_id=account.owner_id, target=str(account.id),
                     details={"with": user.email})
    return bool(removed)
