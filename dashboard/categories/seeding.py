"""The category list a user starts from: a default set, plus every category already on their transactions."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.models import Category, Transaction

# Parent, then its children: a set most people recognise (after Firefly III's and Actual's starter lists).
DEFAULT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Income": ("Salary", "Interest", "Refunds"),
    "Housing": ("Rent", "Mortgage", "Utilities", "Home insurance"),
    "Food": ("Groceries", "Eating out"),
    "Transport": ("Fuel", "Public transport", "Parking"),
    "Bills": ("Phone", "Internet", "Subscriptions"),
    "Shopping": ("Clothing", "Electronics"),
    "Health": ("Pharmacy", "Doctor"),
    "Leisure": ("Entertainment", "Holidays"),
    "Fees": ("Bank charges",),
    "Transfers": (),
}


def seed_categories(session: Session, owner_id: int) -> int:
    """Give an owner with no categories the default set; add any category in use that the list lacks.

    Idempotent: returns how many categories it added.
    """
    names = {c.casefold() for c in session.scalars(select(Category.name).where(Category.owner_id == owner_id))}
    added = 0
    if not names:
        for parent_name, children in DEFAULT_CATEGORIES.items():
            parent = Category(owner_id=owner_id, name=parent_name)
            session.add(parent)
            session.flush()
            session.add_all(Category(owner_id=owner_id, name=child, parent_id=parent.id) for child in children)
            names.update(n.casefold() for n in (parent_name, *children))
            added += 1 + len(children)
    added += add_categories_in_use(session, owner_id, names)
    session.flush()
    return added


def add_categories_in_use(session: Session, owner_id: int, known: set[str] | None = None) -> int:
    """Add, at the top level, each category on the owner's transactions that their list does not have."""
    if known is None:
        known = {c.casefold() for c in session.scalars(select(Category.name).where(Category.owner_id == owner_id))}
    in_use = session.scalars(select(Transaction.category).distinct().where(
        Transaction.owner_id == owner_id, Transaction.category.is_not(None), Transaction.category != "")).all()
    missing = sorted({name for name in in_use if name.casefold() not in known})
    session.add_all(Category(owner_id=owner_id, name=name) for name in missing)
    known.update(name.casefold() for name in missing)
    return len(missing)


def ensure_categories(session: Session, owner_id: int, names: Iterable[str | None]) -> int:
    """Add each of ``names`` the owner's list lacks (ignoring case), at the top level; returns how many.

    Every path that adds a category goes through here or :func:`seed_categories`, so an owner's list always
    begins with the default set.
    """
    wanted = {name for name in names if name}
    if not wanted:
        return 0
    known = {c.casefold() for c in session.scalars(select(Category.name).where(Category.owner_id == owner_id))}
    if not known:  # the first category this owner gets: the default set comes first
        seed_categories(session, owner_id)
        known = {c.casefold() for c in session.scalars(select(Category.name).where(Category.owner_id == owner_id))}
    missing = sorted({name for name in wanted if name.casefold() not in known}, key=str.casefold)
    added = set()
    for name in missing:
        if name.casefold() not in added:
            session.add(Category(owner_id=owner_id, name=name))
            added.add(name.casefold())
    session.flush()
    return len(added)
