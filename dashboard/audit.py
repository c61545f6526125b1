"""The only writer of audit events: who did what to whose data, when and from where.

Append-only, inside the caller's database transaction, so an event is stored
exactly when the change it describes is. Actions are one vocabulary,
:class:`AuditAction`, with dotted names grouped by area.

The events form a hash chain: each stores the hash of the one before it and
its own hash over a canonical form of its fields and that link, so editing,
inserting or deleting a row breaks the chain where it happened, and
:func:`verify_chain` names the first break. Writers take a lock before they
read the last hash (an advisory lock on PostgreSQL, the database's write lock
on SQLite) and hold it until their transaction ends, so two workers never
chain onto the same event. The time is set in Python under that lock: it is
part of the hash, and the chain's order is the order of time.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import chain

from sqlalchemy import false, func, select, update
from sqlalchemy.orm import Session

from dashboard.models import AuditEvent
from dashboard.models.base import utcnow

GENESIS_HASH = "0" * 64  # what the first event links to
CHAIN_LOCK = 0x61756469  # the PostgreSQL advisory-lock key of the chain ("audi")


class AuditAction(StrEnum):
    AUTH_LOGIN = "auth.login"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOGOUT = "auth.logout"
    AUTH_PASSWORD_CHANGED = "auth.password_changed"
    AUTH_CODE_FAILED = "auth.code_failed"  # a wrong second-factor code after a right password
    AUTH_RECOVERY_CODE_USED = "auth.recovery_code_used"
    AUTH_SESSION_ENDED = "auth.session_ended"  # signed out from the sessions page (one, or all the others)
    TWO_FACTOR_ENABLE = "two_factor.enable"
    TWO_FACTOR_DISABLE = "two_factor.disable"
    TWO_FACTOR_RECOVERY_CODES = "two_factor.recovery_codes"  # a new set, the old ones void
    TWO_FACTOR_PASSKEY_ADDED = "two_factor.passkey_added"
    TWO_FACTOR_PASSKEY_REMOVED = "two_factor.passkey_removed"
    SHARE_ADD = "share.add"
    SHARE_REMOVE = "share.remove"
    ACCOUNT_CREATE = "account.create"
    ACCOUNT_EDIT = "account.edit"
    ACCOUNT_CLOSE = "account.close"
    ACCOUNT_REOPEN = "account.reopen"
    ACCOUNT_DELETE = "account.delete"
    ACCOUNT_RECONCILE = "account.reconcile"
    TRANSACTION_ADD = "transaction.add"
    TRANSACTION_DELETE = "transaction.delete"
    TRANSACTION_RESTORE = "transaction.restore"
    TRANSFER_LINK = "transfer.link"
    TRANSFER_UNLINK = "transfer.unlink"
    TRANSACTION_EDIT = "transaction.edit"
    TRANSACTION_CATEGORISE = "transaction.categorise"
    TRANSACTION_SPLIT = "transaction.split"
    IMPORT_CREATE = "import.create"
    IMPORT_UNDO = "import.undo"
    USER_CREATE = "user.create"
    USER_DEACTIVATE = "user.deactivate"
    USER_ACTIVATE = "user.activate"
    USER_SET_ROLE = "user.set_role"
    USER_RESET_PASSWORD = "user.reset_password"
    USER_RESET_TWO_FACTOR = "user.reset_two_factor"
    INSTALLATION_SETTING = "installation.setting"
    TELLER_ENROLL = "teller.enroll"
    TELLER_SYNC = "teller.sync"
    TELLER_SYNC_FAILED = "teller.sync_failed"
    TELLER_DISCONNECTED = "teller.disconnected"
    TELLER_REMOVE = "teller.remove"
    TELLER_MATCH_CONFIRM = "teller.match_confirm"  # a likely pending-to-posted match confirmed: the pending row goes
    TELLER_MATCH_DISMISS = "teller.match_dismiss"  # two rows, not one: both stay
    TOKEN_CREATE = "token.create"
    TOKEN_REVOKE = "token.revoke"
    TOKEN_USE = "token.use"  # the first use of a token each day
    NOMINAL_CODES_SET = "nominal_codes.set"
    RECURRING_CONFIRM = "recurring.confirm"
    RECURRING_DISMISS = "recurring.dismiss"
    RECURRING_EDIT = "recurring.edit"
    BUDGET_SET = "budget.set"
    BUDGET_DELETE = "budget.delete"
    PREFERENCES_BUDGET_MONTH = "preferences.budget_month"
    CATEGORY_CREATE = "category.create"
    CATEGORY_EDIT = "category.edit"
    CATEGORY_MERGE = "category.merge"
    CATEGORY_MAPPING_SET = "category.mapping_set"
    TRANSACTION_CATEGORISE_UNDO = "transaction.categorise_undo"
    RULE_CREATE = "rule.create"
    RULE_EDIT = "rule.edit"
    RULE_DELETE = "rule.delete"
    RULE_MOVE = "rule.move"
    RULE_IMPORT = "rule.import"
    RULE_APPLY = "rule.apply"
    SUGGESTION_APPLY = "suggestion.apply"  # suggested categories stored (the CLI, the review page, an import)
    SIMILARITY_REBUILD = "similarity.rebuild"
    RATES_IMPORT = "rates.import"  # published rates from a file or the ECB
    RATE_SET = "rate.set"  # a user's own rate, by hand
    PREFERENCES_SET = "preferences.set"


@dataclass(frozen=True)
class Actor:
    """Who acts and from where: a signed-in user, an operator at the CLI (``user_id`` None), a token, a sync."""

    user_id: int | None
    remote_addr: str | None = None

    @classmethod
    def system(cls) -> Actor:
        """The CLI, cron or a background job acting without a signed-in person."""
        return cls(user_id=None, remote_addr=None)


def event_hash(action: str, actor_id: int | None, owner_id: int | None, target: str | None, details: dict | None,
               remote_addr: str | None, created_at: datetime, prev_hash: str) -> str:
    """SHA-256 over the canonical form of an event's fields and the hash it links to.

    The canonical form is compact JSON with sorted keys; ``details`` goes through a JSON round trip first,
    so it is hashed as the database gives it back (integer keys become strings). The migration that
    introduced the chain hashes the older events with this same function.
    """
    canonical = json.dumps(
        [action, actor_id, owner_id, target, json.loads(json.dumps(details)), remote_addr,
         created_at.isoformat(timespec="microseconds"), prev_hash],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stored_hash(event: AuditEvent) -> str:
    """The hash ``event``'s fields as stored should have."""
    return event_hash(event.action, event.actor_id, event.owner_id, event.target, event.details, event.remote_addr,
                      event.created_at, event.prev_hash)


def lock_chain(session: Session) -> None:
    """Hold the chain until this transaction ends, so no other writer reads the same last hash.

    A change that must see every audited change committed before it (the last-admin check) takes it first too.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(CHAIN_LOCK)))
    else:
        # SQLite has one writer at a time: a statement that writes nothing still takes the write lock.
        session.execute(update(AuditEvent).where(false()).values(id=AuditEvent.id))


def record_event(session: Session, action: AuditAction, actor: Actor, owner_id: int | None = None,
                 target: str | None = None, details: dict | None = None) -> AuditEvent:
    """Add one event: ``actor`` did ``action`` to ``target``, which belongs to ``owner_id``; chained to the last."""
    lock_chain(session)
    previous = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS_HASH
    event = AuditEvent(action=AuditAction(action).value, actor_id=actor.user_id, owner_id=owner_id,
                       target=target, details=details, remote_addr=actor.remote_addr, created_at=utcnow(),
                       prev_hash=previous)
    event.hash = _stored_hash(event)
    session.add(event)
    session.flush()  # the id, given under the lock, is the chain's order
    return event


@dataclass(frozen=True)
class ChainCheck:
    """What :func:`verify_chain` found: how many events it read and the first break, if any."""

    events: int
    problem: str | None = None
    last_hash: str | None = None  # of the newest event, when intact: kept elsewhere, it shows a removed tail

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_chain(session: Session) -> ChainCheck:
    """Walk every event in order and name the first one that was changed, inserted or removed.

    An event whose hash does not match its fields was changed (or inserted by hand). An event that matches
    its own hash but does not link to the one before it follows a gap: either the event before it was
    inserted (this one links past it), it was itself inserted (the next one links past it), or events
    between them were removed. Removing the newest events leaves no gap and cannot be seen from the chain.
    """
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000))
    events: Iterator[AuditEvent | None] = chain(rows, [None])
    count, before_previous, previous, current = 0, None, None, next(events)
    while current is not None:
        following = next(events)
        count += 1
        expected = previous.hash if previous else GENESIS_HASH
        problem = None
        if current.hash != _stored_hash(current):
            problem = (f"event {current.id} was changed: its fields no longer match its hash"
                       if current.prev_hash == expected else
                       f"event {current.id} was inserted or changed: it matches neither its hash nor the event before it")
        elif current.prev_hash != expected:
            if previous is not None and current.prev_hash == (before_previous.hash if before_previous else GENESIS_HASH):
                problem = f"event {previous.id} was inserted: event {current.id} links past it"
            elif following is not None and following.prev_hash == expected:
                problem = f"event {current.id} was inserted: event {following.id} links past it"
            elif previous is None:
                problem = f"events before event {current.id} were removed"
            else:
                problem = (f"event {current.id} does not follow event {previous.id}: an event between them was removed, "
                           f"or event {previous.id} was rewritten")
        if problem:
            return ChainCheck(count, problem)
        before_previous, previous, current = previous, current, following
    return ChainCheck(count, last_hash=previous.hash if previous else None)
