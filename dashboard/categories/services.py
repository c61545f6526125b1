"""A user's category list: create, rename, merge and re-parent, keeping every row and rule in step.

Renaming or merging rewrites the transactions through ``dashboard.ledger``
(so the monthly totals follow) and the rules that set the category, inside
the caller's database transaction: the caller commits once, so either all of
it happened or none of it did. Services take the session, the owner's scope,
the actor and plain values, as everywhere else.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from dashboard.access import Scope, category_or_404
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.categories.seeding import seed_categories
from dashboard.importers.batches import chunks
from dashboard.budgets.merging import merge_category_budgets
from dashboard.ledger import rename_split_category, update_transactions
from dashboard.models import Category, CategoryMapping, MonthlyTotal, Rule, Transaction
from dashboard.models.base import utcnow
from dashboard.rules.definitions import ActionKind

NAME_LIMIT = 120
ID_CHUNK = 5_000


class CategoryError(ValueError):
    """A change refused for a reason the user can fix; nothing was changed."""


@dataclass(frozen=True)
class CategoryLine:
    """One category as the list page shows it."""

    id: int
    name: str
    label: str
    parent_id: int | None
    transactions: int


def clean_name(name: str | None) -> str:
    """A category name as stored: trimmed, non-empty, at most 120 characters, no NUL."""
    name = (name or "").strip()
    if not name:
        raise CategoryError("A category needs a name.")
    if len(name) > NAME_LIMIT:
        raise CategoryError(f"A category name has at most {NAME_LIMIT} characters.")
    if "\x00" in name:
        raise CategoryError("A category name cannot hold a NUL character.")
    return name


def categories_of(session: Session, scope: Scope) -> list[Category]:
    """The scope owner's categories (seeded on first use), parents first, each followed by its children."""
    seed_categories(session, scope.owner_id)
    rows = session.scalars(select(Category).where(Category.owner_id == scope.owner_id)
                           .options(selectinload(Category.parent))).all()
    return sorted(rows, key=lambda c: ((c.parent.name if c.parent else c.name).casefold(), c.parent is not None,
                                       c.name.casefold()))


def category_lines(session: Session, scope: Scope) -> list[CategoryLine]:
    """The list page: every category with its label and how many of the owner's rows use it (from the monthly
    totals, so a million rows cost nothing; a linked transfer counts under "Transfers", as in the reports)."""
    counts = dict(session.execute(
        select(MonthlyTotal.category, func.sum(MonthlyTotal.transactions))
        .where(MonthlyTotal.owner_id == scope.owner_id).group_by(MonthlyTotal.category)).all())
    return [CategoryLine(c.id, c.name, c.label, c.parent_id, counts.get(c.name, 0))
            for c in categories_of(session, scope)]


def category_named(session: Session, owner_id: int, name: str) -> Category | None:
    """The owner's category of this name, ignoring case."""
    wanted = name.casefold()
    return next((c for c in session.scalars(select(Category).where(Category.owner_id == owner_id))
                 if c.name.casefold() == wanted), None)


def create_category(session: Session, scope: Scope, actor: Actor, name: str, parent_id: int | None) -> Category:
    name = clean_name(name)
    seed_categories(session, scope.owner_id)
    if category_named(session, scope.owner_id, name) is not None:
        raise CategoryError(f"You already have a category called {name}.")
    parent = _parent(session, scope, parent_id, None)
    category = Category(owner_id=scope.owner_id, name=name, parent_id=parent.id if parent else None)
    session.add(category)
    session.flush()
    record_event(session, AuditAction.CATEGORY_CREATE, actor, owner_id=scope.owner_id,
                 target=f"category:{category.id}", details={"name": name, "parent": parent.name if parent else None})
    return category


def edit_category(session: Session, scope: Scope, actor: Actor, category_id: int, name: str,
                  parent_id: int | None) -> int:
    """Rename and/or re-parent a category; returns how many transactions were renamed with it."""
    category = category_or_404(session, scope, category_id)
    name = clean_name(name)
    clash = category_named(session, scope.owner_id, name)
    if clash is not None and clash.id != category.id:
        raise CategoryError(f"You already have a category called {clash.name}: merge into it instead.")
    parent = _parent(session, scope, parent_id, category)
    old_name, old_parent = category.name, category.parent.name if category.parent else None
    category.parent_id = parent.id if parent else None
    moved = {}
    if name != old_name:
        category.name = name
        session.flush()
        moved = _rename_everywhere(session, scope, old_name, name)
    session.flush()
    record_event(session, AuditAction.CATEGORY_EDIT, actor, owner_id=scope.owner_id, target=f"category:{category.id}",
                 details={"name": [old_name, name], "parent": [old_parent, parent.name if parent else None], **moved})
    return moved.get("transactions", 0)


def merge_categories(session: Session, scope: Scope, actor: Actor, source_id: int, target_id: int) -> int:
    """Fold one category into another: its rows, rules, mappings and children move, then it goes.

    Returns how many transactions moved.
    """
    source = category_or_404(session, scope, source_id)
    target = category_or_404(session, scope, target_id)
    if source.id == target.id:
        raise CategoryError("Choose another category to merge into.")
    moved = _rename_everywhere(session, scope, source.name, target.name)
    session.execute(update(CategoryMapping).where(CategoryMapping.category_id == source.id)
                    .values(category_id=target.id))
    new_parent = target.id if target.parent_id is None else target.parent_id
    session.execute(update(Category).where(Category.parent_id == source.id, Category.id != new_parent)
                    .values(parent_id=new_parent))
    if target.parent_id == source.id:
        target.parent_id = source.parent_id
    moved["budgets"] = merge_category_budgets(session, scope.owner_id, source.id, target.id)
    details = {"from": source.name, "into": target.name, **moved}
    session.delete(source)
    session.flush()
    record_event(session, AuditAction.CATEGORY_MERGE, actor, owner_id=scope.owner_id, target=f"category:{target.id}",
                 details=details)
    return moved["transactions"]


def _parent(session: Session, scope: Scope, parent_id: int | None, category: Category | None) -> Category | None:
    """The parent asked for, when it may be one: one level only, never the category itself."""
    if not parent_id:
        return None
    parent = category_or_404(session, scope, parent_id)
    if category is not None and parent.id == category.id:
        raise CategoryError("A category cannot be its own parent.")
    if parent.parent_id is not None:
        raise CategoryError(f"{parent.name} is itself inside {parent.parent.name}: choose a top-level parent.")
    if category is not None and session.scalar(select(Category.id).where(Category.parent_id == category.id).limit(1)):
        raise CategoryError(f"{category.name} has categories inside it, so it stays at the top level.")
    return parent


def _rename_everywhere(session: Session, scope: Scope, old_name: str, new_name: str) -> dict[str, int]:
    """Everything that names a category by name follows it to ``new_name``; how many of each changed."""
    return {"transactions": _recategorise(session, scope, old_name, new_name),
            "splits": rename_split_category(session, scope.owner_id, old_name, new_name),
            "rules": _rename_in_rules(session, scope.owner_id, old_name, new_name)}


def _recategorise(session: Session, scope: Scope, old_name: str, new_name: str) -> int:
    """Move every row of the owner's in ``old_name`` to ``new_name``, through the ledger."""
    ids = session.scalars(select(Transaction.id).where(Transaction.owner_id == scope.owner_id,
                                                       Transaction.category == old_name)).all()
    own = Scope.of_user(scope.owner_id)
    return sum(update_transactions(session, own, chunk, category=new_name) for chunk in chunks(ids, ID_CHUNK))


def _rename_in_rules(session: Session, owner_id: int, old_name: str, new_name: str) -> int:
    """Point every rule that sets ``old_name`` at ``new_name``; returns how many rules changed."""
    changed = 0
    for rule in session.scalars(select(Rule).where(Rule.owner_id == owner_id)):
        actions = [dict(a, value=new_name) if a.get("action") == ActionKind.SET_CATEGORY and a.get("value") == old_name
                   else a for a in rule.actions]
        if actions != rule.actions:
            rule.actions, rule.updated_at = actions, utcnow()
            changed += 1
    return changed
