"""Rules at work: on rows arriving (import, its preview, Teller sync, API) and on rows already stored.

:class:`Categoriser` is the one step every arriving row passes through: the
source's category is mapped onto the user's list, then the user's rules run.
The preview uses the same step, so it shows the categories that will be
stored. ``apply_preview`` and ``apply_rules`` run the rules over stored rows:
the first says which rows would change and how, the second changes them
through the ledger (so the monthly totals follow) and audits it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.access import WRITE, Scope
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.categories.mapping import SourceCategories
from dashboard.categories.seeding import ensure_categories
from dashboard.ledger import update_transactions
from dashboard.models import Account, Rule, Transaction, TransactionSplit
from dashboard.models.categories import CategorySource
from dashboard.rules.definitions import RuleDefinition, rule_from_json
from dashboard.rules.matching import Outcome, Rulebook

CHANGED_COLUMNS = ("category", "counterparty", "note")
CHUNK_ROWS = 5_000


def stored_rules(session: Session, owner_id: int) -> list[Rule]:
    """The owner's rules in the order they are tried."""
    return list(session.scalars(select(Rule).where(Rule.owner_id == owner_id).order_by(Rule.position, Rule.id)))


def definitions_of(rules: Sequence[Rule]) -> list[RuleDefinition]:
    return [rule_from_json({"name": r.name, "match": r.match, "stop": r.stop, "conditions": r.conditions,
                            "actions": r.actions}, rule_id=r.id) for r in rules]


def rulebook_for(session: Session, owner_id: int) -> Rulebook:
    return Rulebook(definitions_of(stored_rules(session, owner_id)))


class Categoriser:
    """Maps the source's categories and runs the owner's rules on arriving row dicts (transaction columns)."""

    def __init__(self, session: Session, owner_id: int, source: CategorySource = CategorySource.FILE):
        self.session, self.owner_id = session, owner_id
        self.sources = SourceCategories(session, owner_id, source)
        self.rulebook = rulebook_for(session, owner_id)
        self.skipped = 0
        self._categories: set[str] = set()

    def outcome(self, row: dict, account_name: str) -> Outcome:
        """What arriving changes in ``row`` (a dict of columns) without changing it: for the preview."""
        mapped = self.sources.mapped(row.get("category"))
        outcome = self.rulebook.outcome(row, account_name)
        if mapped != row.get("category"):
            outcome.changes = {"category": mapped, **outcome.changes}
        return outcome

    def categorise(self, row: dict, account_name: str) -> bool:
        """Change ``row`` in place; False when a rule says to skip it."""
        outcome = self.outcome(row, account_name)
        for name in CHANGED_COLUMNS:  # every row of a batch carries the same keys: one INSERT for them all
            row.setdefault(name, None)
        row.update(outcome.changes)
        if row.get("category"):
            self._categories.add(row["category"])
        return not outcome.skip

    def kept_rows(self, rows: Sequence[dict], account_name: str) -> list[dict]:
        """The rows to insert, categorised; the skipped ones are counted in ``skipped``."""
        kept = [row for row in rows if self.categorise(row, account_name)]
        self.skipped += len(rows) - len(kept)
        return kept

    def finish(self) -> None:
        """Remember new source names and add the categories rules set to the owner's list."""
        self.sources.remember()
        ensure_categories(self.session, self.owner_id, self._categories)


def categorise_entry(session: Session, account: Account, row: dict, given: Iterable[str]) -> None:
    """A row written through the API: the owner's rules fill in what the caller did not give.

    "skip" is for imports; a row someone sends on purpose is kept.
    """
    outcome = rulebook_for(session, account.owner_id).outcome(row, account.name)
    row.update({name: value for name, value in outcome.changes.items() if name not in given})
    ensure_categories(session, account.owner_id, [row.get("category")])


RULE_INPUTS = ("description", "counterparty", "amount")  # the row's own values that rule conditions read


def categorise_edit(session: Session, transaction: Transaction, values: dict) -> dict:
    """An API edit of a stored row (``values``: the cleaned columns it sets): when it changes what rule
    conditions read, the owner's rules run again on the row as it will be and fill in what the edit did not
    set. Returns the values to write; what the caller sent always wins, and a rule that no longer matches
    clears nothing. (A rule's category joined the owner's list when the rule was saved.)"""
    if not any(name in values and values[name] != getattr(transaction, name) for name in RULE_INPUTS):
        return values
    row = {name: getattr(transaction, name) for name in (*RULE_INPUTS, *CHANGED_COLUMNS)} | values
    outcome = rulebook_for(session, transaction.owner_id).outcome(row, transaction.account.name)
    return values | {name: value for name, value in outcome.changes.items() if name not in values}


@dataclass(frozen=True)
class RowChange:
    """One stored row the rules would change: what it is and each column's value before and after."""

    transaction_id: int
    date: object
    description: str
    amount: object
    currency: str
    account_name: str
    changes: dict  # column -> (before, after)
    rules: tuple[str, ...]


@dataclass
class ApplyResult:
    matched: int = 0
    changes: list[RowChange] = field(default_factory=list)
    split_kept: int = 0  # split rows whose category a rule would set: their parts keep their categories

    @property
    def changed(self) -> int:
        return len(self.changes)


def apply_preview(session: Session, scope: Scope, account_id: int | None = None,
                  rule_ids: Sequence[int] | None = None) -> ApplyResult:
    """Which of the owner's rows (in one account, or all) the rules would change, and how; writes nothing.

    ``rule_ids`` narrows the run to those rules (still in their order). A split row keeps its parts'
    categories (a rule's category would be the row's, which no total counts): it is counted in
    ``split_kept``, and its counterparty and note still change.
    """
    rules = stored_rules(session, scope.owner_id)
    if rule_ids is not None:
        rules = [r for r in rules if r.id in set(rule_ids)]
    rulebook = Rulebook(definitions_of(rules))
    result = ApplyResult()
    if not rulebook:
        return result
    query = (select(Transaction.id, Transaction.date, Transaction.description, Transaction.amount,
                    Transaction.currency, Transaction.counterparty, Transaction.note, Transaction.category,
                    Account.name, select(TransactionSplit.transaction_id)
                    .where(TransactionSplit.transaction_id == Transaction.id).exists())
             .join(Account, Account.id == Transaction.account_id)
             .where(scope.rows(Transaction, WRITE), Transaction.owner_id == scope.owner_id)
             .order_by(Transaction.date.desc(), Transaction.id.desc()))
    if account_id is not None:
        query = query.where(Transaction.account_id == account_id)
    for row_id, day, description, amount, currency, counterparty, note, category, account_name, split in \
            session.execute(query.execution_options(yield_per=CHUNK_ROWS)):
        values = {"description": description, "amount": amount, "counterparty": counterparty, "note": note,
                  "category": category}
        outcome = rulebook.outcome(values, account_name)
        if not outcome.matched:
            continue
        result.matched += 1
        changes = {name: (values[name], outcome.changes[name]) for name in CHANGED_COLUMNS
                   if name in outcome.changes and outcome.changes[name] != values[name]}
        if split and changes.pop("category", None):
            result.split_kept += 1
        if changes:
            result.changes.append(RowChange(row_id, day, description, amount, currency, account_name, changes,
                                            tuple(r.name for r in outcome.matched)))
    return result


def apply_rules(session: Session, scope: Scope, actor: Actor, account_id: int | None = None,
                rule_ids: Sequence[int] | None = None) -> ApplyResult:
    """Change the rows :func:`apply_preview` finds, through the ledger; one audit event. The caller commits."""
    result = apply_preview(session, scope, account_id, rule_ids)
    by_values: dict[tuple, list[int]] = defaultdict(list)
    for change in result.changes:
        by_values[tuple(sorted((name, after) for name, (_, after) in change.changes.items()))].append(
            change.transaction_id)
    for values, ids in by_values.items():
        for start in range(0, len(ids), CHUNK_ROWS):
            update_transactions(session, scope, ids[start:start + CHUNK_ROWS], **dict(values))
    if result.changes:
        ensure_categories(session, scope.owner_id, {c.changes["category"][1] for c in result.changes
                                                    if "category" in c.changes})
    record_event(session, AuditAction.RULE_APPLY, actor, owner_id=scope.owner_id, target="rules",
                 details={"account_id": account_id, "rule_ids": list(rule_ids) if rule_ids is not None else None,
                          "matched": result.matched, "changed": result.changed, "split_kept": result.split_kept,
                          "ids": [c.transaction_id for c in result.changes][:1000]})
    return result
