"""One enrollment's sync: Teller's accounts, balances and transactions written through ``ledger.py``.

A sync first claims its enrollment (``claims``), so two workers never sync one
enrollment at once: the second waits for the first to finish and then reads
the bank afresh (an older answer written after a newer one would bring back a
pending row its posted twin had replaced). Network reads happen first; then
each account is written in one database transaction that begins by locking
its enrollment row. Transactions are upserted by Teller id; a resync fills the
bank's category only into a row that has none, so the user's (or a rule's) stays.
Teller gives a pending transaction a new id when it posts, so a new posted row
first looks for a pending twin that vanished from the bank (same account,
amount within a tolerance, date a few days later, similar description). A sure
twin (same amount, very similar description) is replaced in place, keeping the
user's category and note; a likely one is inserted beside it and both go on
the review list (``dashboard.teller.reviews``) for the user to confirm or
dismiss. A pending row that neither posts nor reappears within
``PENDING_WINDOW`` is removed, unless it is under review. Each sync re-reads
``TRAILING_WINDOW`` to catch late changes.
Every fetched row passes through the owner's category mapping and rules first
(``dashboard.rules``), so a new row arrives categorised and a row a rule skips is not added.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.balances import open_from_stated, record_stated_balance
from dashboard.importers.account_plans import free_account_name
from dashboard.ledger import delete_transactions, insert_transactions, update_transactions
from dashboard.models import Account, StatedBalance, Transaction
from dashboard.models.accounts import AccountSource, AccountType, TransactionSource, TransactionStatus
from dashboard.rules.application import Categoriser
from dashboard.models.base import storable_amount, utcnow
from dashboard.models.categories import CategorySource
from dashboard.models.teller import (
    EnrollmentStatus,
    TellerAccount,
    TellerAccountStatus,
    TellerEnrollment,
    TellerMatchReview,
)
from dashboard.teller.claims import claim_enrollment, release_enrollment
from dashboard.teller.client import TellerClient, TellerError

TRAILING_WINDOW = timedelta(days=30)
PENDING_WINDOW = timedelta(days=10)
POSTING_DELAY = timedelta(days=5)  # a pending row posts at most this long after its date
AMOUNT_TOLERANCE = Decimal("0.25")  # a tip may add up to a quarter
SURE_SIMILARITY = 0.8
LIKELY_SIMILARITY = 0.5
COMPARED = ("date", "description", "amount", "status", "counterparty", "stated_balance")
ACCOUNT_TYPES = {"checking": AccountType.CHECKING, "savings": AccountType.SAVINGS,
                 "credit_card": AccountType.CREDIT_CARD, "credit": AccountType.CREDIT_CARD}


@dataclass
class AccountResult:
    name: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    replaced: int = 0  # pending rows replaced by their sure posted twin
    to_review: int = 0  # posted rows that are likely, not surely, a pending row: on the review list
    error: str | None = None
    skipped: str | None = None  # why the account was not synced (closed in the dashboard, no longer listed)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.replaced)

    def line(self) -> str:
        if self.error:
            return f"{self.name}: failed: {self.error}"
        if self.skipped:
            return f"{self.name}: not synced ({self.skipped})"
        if not self.changed:
            return f"{self.name}: no changes"
        text = f"{self.name}: added {self.added}, updated {self.updated}, removed {self.removed}"
        text += f", pending replaced {self.replaced}" if self.replaced else ""
        return text + (f", {self.to_review} to review" if self.to_review else "")


@dataclass
class SyncResult:
    enrollment_id: int
    accounts: list[AccountResult] = field(default_factory=list)
    error: str | None = None
    busy_since: datetime | None = None  # another sync held the enrollment for as long as this one would wait

    @property
    def failed(self) -> bool:
        return self.error is not None or any(a.error for a in self.accounts)

    def as_json(self) -> dict:
        return {"error": self.error, "accounts": [asdict(a) for a in self.accounts]}

    def summary(self) -> str:
        """One line for a flash message or a log: what changed, why it failed, or whose turn it was."""
        if self.busy_since is not None:
            return f"another sync of this connection has been running since {self.busy_since:%H:%M} UTC"
        if self.error:
            return f"failed: {self.error}"
        return "; ".join(a.line() for a in self.accounts) or "no accounts"


def sync_enrollment(session: Session, enrollment: TellerEnrollment, client: TellerClient,
                    actor: Actor, today: date | None = None, wait: float = 0) -> SyncResult:
    """Sync every account of one enrollment; one broken account never stops the others. Commits per account.

    When another sync holds the enrollment, wait up to ``wait`` seconds for it to finish, then give up with
    ``busy_since`` set (that sync is doing the work).
    """
    today = today or date.today()
    enrollment_id, owner_id = enrollment.id, enrollment.owner_id
    result = SyncResult(enrollment_id)
    claim = claim_enrollment(session, enrollment_id, wait)
    if claim is None:
        result.busy_since = session.scalar(select(TellerEnrollment.sync_started_at)
                                           .where(TellerEnrollment.id == enrollment_id))
        session.commit()
        return result
    try:
        return _sync_claimed(session, enrollment_id, owner_id, client, actor, today, result)
    finally:
        session.rollback()  # whatever an unexpected error left unwritten; every finished account is committed
        release_enrollment(session, enrollment_id, claim)


def _sync_claimed(session: Session, enrollment_id: int, owner_id: int, client: TellerClient, actor: Actor,
                  today: date, result: SyncResult) -> SyncResult:
    try:
        remote_accounts = client.accounts()
    except TellerError as error:
        return _enrollment_failed(session, enrollment_id, owner_id, actor, result, error)
    if not isinstance(remote_accounts, list):
        return _enrollment_failed(session, enrollment_id, owner_id, actor, result,
                                  TellerError(None, "bad_answer", "Teller's list of accounts is not a list"))
    listed: set[str] = set()
    for remote in remote_accounts:
        if not isinstance(remote, dict) or not isinstance(remote.get("id"), str):
            result.accounts.append(AccountResult("An account Teller sent", error="bad_answer: it names no id"))
            continue
        listed.add(remote["id"])
        try:
            result.accounts.append(_sync_account(session, enrollment_id, owner_id, client, remote, today))
        except TellerError as error:
            session.rollback()
            if error.enrollment_broken:
                return _enrollment_failed(session, enrollment_id, owner_id, actor, result, error)
            if error.account_gone:
                _mark_closed(session, enrollment_id, owner_id, remote)
                result.accounts.append(AccountResult(_account_name(remote), error=f"closed at the bank ({error.status})"))
            else:
                result.accounts.append(AccountResult(_account_name(remote), error=str(error)))
    result.accounts += [AccountResult(name, skipped="the bank no longer lists it: its history is kept, and it syncs "
                                                    "again if the bank lists it again")
                        for name in _unlisted_account_names(session, enrollment_id, listed)]
    enrollment = _locked(session, enrollment_id)
    enrollment.last_synced_at = utcnow()
    enrollment.last_result = result.as_json()
    record_event(session, AuditAction.TELLER_SYNC, actor, owner_id, target=f"teller_enrollment:{enrollment_id}",
                 details={"accounts": [a.line() for a in result.accounts]})
    session.commit()
    return result


def _enrollment_failed(session, enrollment_id, owner_id, actor, result: SyncResult, error: TellerError) -> SyncResult:
    session.rollback()
    enrollment = _locked(session, enrollment_id)
    if error.enrollment_broken:
        enrollment.status = (EnrollmentStatus.DISCONNECTED if error.code.startswith("enrollment.disconnected")
                             else EnrollmentStatus.REVOKED)
        enrollment.status_reason = f"{error.code}: {error.message}"[:255]
    result.error = str(error)
    enrollment.last_synced_at = utcnow()
    enrollment.last_result = result.as_json()
    record_event(session, AuditAction.TELLER_SYNC_FAILED, actor, owner_id,
                 target=f"teller_enrollment:{enrollment_id}", details={"error": result.error})
    session.commit()
    return result


def _locked(session: Session, enrollment_id: int) -> TellerEnrollment:
    """The enrollment row, locked until commit: a no-op UPDATE takes PostgreSQL's row lock and SQLite's
    write lock alike, so what is read after it is what the other writer committed."""
    session.execute(update(TellerEnrollment).where(TellerEnrollment.id == enrollment_id)
                    .values(status=TellerEnrollment.status).execution_options(synchronize_session=False))
    return session.scalars(select(TellerEnrollment).where(TellerEnrollment.id == enrollment_id)
                           .execution_options(populate_existing=True)).one()


def _account_name(remote: dict) -> str:
    institution = (remote.get("institution") or {}).get("name")
    name = remote.get("name") or "Account"
    suffix = f" ••{remote['last_four']}" if remote.get("last_four") else ""
    return (f"{institution} {name}" if institution else name)[:112] + suffix


def _mark_closed(session: Session, enrollment_id: int, owner_id: int, remote: dict) -> None:
    _locked(session, enrollment_id)
    account = _find_account(session, owner_id, remote["id"])
    if account is not None:
        link = session.get(TellerAccount, account.id)
        link.status = TellerAccountStatus.CLOSED
    session.commit()


def _unlisted_account_names(session: Session, enrollment_id: int, listed: set[str]) -> list[str]:
    """The enrollment's syncing accounts that Teller's list of accounts left out this time."""
    return list(session.scalars(
        select(Account.name).join(TellerAccount, TellerAccount.account_id == Account.id)
        .where(TellerAccount.enrollment_id == enrollment_id, TellerAccount.status == TellerAccountStatus.SYNCING,
               Account.external_id.not_in(listed))
        .order_by(Account.name)))


def _find_account(session: Session, owner_id: int, teller_id: str) -> Account | None:
    return session.scalars(select(Account).where(
        Account.owner_id == owner_id, Account.source == AccountSource.TELLER, Account.external_id == teller_id)).first()


def _sync_account(session: Session, enrollment_id: int, owner_id: int, client: TellerClient, remote: dict,
                  today: date) -> AccountResult:
    existing = _find_account(session, owner_id, remote["id"])
    link = session.get(TellerAccount, existing.id) if existing is not None else None
    result = AccountResult(existing.name if existing is not None else _account_name(remote))
    if link is not None and link.status != TellerAccountStatus.SYNCING:
        return result
    if existing is not None and existing.closed:
        result.skipped = "closed in the dashboard: reopen it to sync"
        return result
    has_rows = existing is not None and session.scalar(
        select(Transaction.id).where(Transaction.account_id == existing.id).limit(1)) is not None
    start = today - TRAILING_WINDOW if has_rows else None
    links = remote.get("links") or {}
    balances = client.balances(remote["id"]) if "balances" in links else None
    fetched = list(client.transactions(remote["id"], start.isoformat() if start else None)) \
        if "transactions" in links else []
    session.commit()  # end the read-only transaction begun above (nothing written): the write starts with the lock
    _locked(session, enrollment_id)
    account = _upsert_account(session, enrollment_id, owner_id, remote)
    stated = _store_balances(session, account, balances) if balances is not None else None
    _write_transactions(session, account, fetched, start, today, result)
    if stated is not None and not has_rows:
        open_from_stated(session, account, stated)  # the bank's history begins part-way: balance it from there
    if remote.get("status") == "closed":
        session.get(TellerAccount, account.id).status = TellerAccountStatus.CLOSED
    session.commit()
    return result


def _upsert_account(session: Session, enrollment_id: int, owner_id: int, remote: dict) -> Account:
    account = _find_account(session, owner_id, remote["id"])
    if account is None:
        account = Account(
            owner_id=owner_id, name=free_account_name(session, owner_id, _account_name(remote)),
            source=AccountSource.TELLER, external_id=remote["id"],
            type=ACCOUNT_TYPES.get(remote.get("subtype"), ACCOUNT_TYPES.get(remote.get("type"), AccountType.CHECKING)),
            subtype=(remote.get("subtype") or None), currency=(remote.get("currency") or "USD").upper(),
            institution=((remote.get("institution") or {}).get("name") or None),
            last_four=(remote.get("last_four") or None))
        session.add(account)
        session.flush()
    link = session.get(TellerAccount, account.id)
    if link is None:
        session.add(TellerAccount(account_id=account.id, enrollment_id=enrollment_id))
    else:
        link.enrollment_id = enrollment_id
    return account


def _store_balances(session: Session, account: Account, balances: dict) -> StatedBalance | None:
    """Keep the bank's balance as a stated balance (reconciled like a file's) when it changed since the last."""
    try:
        ledger, available = (_money(balances[name]) if balances.get(name) is not None else None
                             for name in ("ledger", "available"))
    except (AttributeError, ValueError) as error:
        raise TellerError(None, "bad_answer", f"the balances Teller sent cannot be read ({error})") from None
    if (ledger, available) == (account.ledger_balance, account.available_balance):
        return None
    return record_stated_balance(session, account, utcnow(), ledger, available)


def _money(value) -> Decimal:
    """An amount Teller sent as a decimal string, refused when the ledger cannot store it exactly."""
    try:
        amount = Decimal(str(value)) if isinstance(value, (str, int)) else None
    except InvalidOperation:
        amount = None
    if amount is None or not storable_amount(amount):
        raise ValueError(f"{value!r} is not an amount")
    return amount


def _row(account: Account, remote: dict) -> dict:
    """The ledger row for one transaction Teller sent; a row that cannot be read fails its account, unwritten."""
    try:
        details = remote.get("details") or {}
        return {
            "owner_id": account.owner_id, "account_id": account.id, "external_id": str(remote["id"])[:128],
            "date": date.fromisoformat(remote["date"]), "description": str(remote.get("description") or "")[:500],
            "amount": _money(remote["amount"]), "currency": account.currency,
            "status": TransactionStatus.PENDING if remote.get("status") == "pending" else TransactionStatus.POSTED,
            "category": details.get("category") or None,
            "counterparty": ((details.get("counterparty") or {}).get("name") or None),
            "stated_balance": _money(remote["running_balance"]) if remote.get("running_balance") else None,
            "source": TransactionSource.TELLER.value,
        }
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        what = remote.get("id") if isinstance(remote, dict) else None
        raise TellerError(None, "bad_answer",
                          f"transaction {what or '?'} cannot be read ({type(error).__name__}: {error})"[:255]) from None


def _write_transactions(session: Session, account: Account, fetched: list[dict], start: date | None,
                        today: date, result: AccountResult) -> None:
    scope = Scope.of_user(account.owner_id)
    window = [Transaction.account_id == account.id]
    if start is not None:
        window.append(or_(Transaction.date >= start, Transaction.status == TransactionStatus.PENDING))
    local = {row.external_id: row for row in session.scalars(select(Transaction).where(*window))}
    remote_rows = [_row(account, remote) for remote in fetched]
    remote_ids = {row["external_id"] for row in remote_rows}
    categoriser = Categoriser(session, account.owner_id, CategorySource.TELLER)
    skipped = {row["external_id"] for row in remote_rows if not categoriser.categorise(row, account.name)}
    vanished = [row for ext, row in local.items() if row.status == TransactionStatus.PENDING and ext not in remote_ids]
    reviewed = set(session.scalars(select(TellerMatchReview.pending_id)
                                   .where(TellerMatchReview.account_id == account.id)))
    vanished = [row for row in vanished if row.id not in reviewed]
    new, likely = [], []
    for row in remote_rows:
        current = local.get(row["external_id"])
        if current is not None:
            changed = {name: row[name] for name in COMPARED if getattr(current, name) != row[name]}
            if current.category is None and row["category"]:
                changed["category"] = row["category"]  # the bank's category fills a gap, never replaces
            if changed:
                result.updated += update_transactions(session, scope, [current.id], **changed)
            continue
        twin = _pending_twin(row, vanished) if row["status"] == TransactionStatus.POSTED else None
        if twin is None:
            if row["external_id"] not in skipped:
                new.append(row)
            continue
        pending, sure = twin
        vanished.remove(pending)
        if not sure:
            new.append(row)
            likely.append((pending, row["external_id"]))
            continue
        values = {name: row[name] for name in ("external_id", *COMPARED)}
        values["category"] = pending.category or row["category"]  # the user's category wins
        values["counterparty"] = row["counterparty"] or pending.counterparty
        update_transactions(session, scope, [pending.id], **values)
        result.replaced += 1
    result.added += insert_transactions(session, new)
    result.to_review += _queue_reviews(session, account, likely)
    categoriser.finish()
    stale = [row.id for row in vanished if row.date < today - PENDING_WINDOW]
    result.removed += delete_transactions(session, scope, stale) if stale else 0


def _queue_reviews(session: Session, account: Account, likely: list[tuple[Transaction, str]]) -> int:
    """Put each (pending row, new posted row's Teller id) on the review list."""
    if not likely:
        return 0
    posted_ids = dict(session.execute(select(Transaction.external_id, Transaction.id).where(
        Transaction.account_id == account.id, Transaction.external_id.in_([ext for _, ext in likely]))).all())
    session.add_all(TellerMatchReview(owner_id=account.owner_id, account_id=account.id, pending_id=pending.id,
                                      posted_id=posted_ids[external_id]) for pending, external_id in likely)
    session.flush()
    return len(likely)


def _pending_twin(posted: dict, vanished: list[Transaction]) -> tuple[Transaction, bool] | None:
    """The vanished pending row this posted one most likely is, and whether the match is sure."""
    best, best_score = None, 0.0
    for pending in vanished:
        difference = abs(posted["amount"] - pending.amount)
        if difference > abs(pending.amount) * AMOUNT_TOLERANCE:
            continue
        if not pending.date - timedelta(days=1) <= posted["date"] <= pending.date + POSTING_DELAY:
            continue
        score = SequenceMatcher(None, pending.description.casefold(), posted["description"].casefold()).ratio()
        if score >= LIKELY_SIMILARITY and (score > best_score or best is None):
            best, best_score, sure = pending, score, difference == 0 and score >= SURE_SIMILARITY
    return (best, sure) if best is not None else None
