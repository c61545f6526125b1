"""Source categories (Teller's ``details.category``, a QIF ``L`` line, a CSV category column) onto a user's list.

A name seen for the first time maps onto the user's category of that name
(added to the list when missing), and is remembered, so the mapping page shows
every name a source ever sent and the user can point it elsewhere: later rows
with that name then arrive in the chosen category.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dashboard.access import Scope, category_mapping_or_404, category_or_404
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.categories.seeding import ensure_categories, seed_categories
from dashboard.models import Category, CategoryMapping
from dashboard.models.categories import CategorySource

SOURCE_NAME_LIMIT = 120


class SourceCategories:
    """One owner's mapping for one source, loaded once for a whole import or sync."""

    def __init__(self, session: Session, owner_id: int, source: CategorySource):
        self.session, self.owner_id, self.source = session, owner_id, CategorySource(source)
        self._mapped = {
            source_name.casefold(): category for source_name, category in session.execute(
                select(CategoryMapping.source_name, Category.name)
                .join(Category, Category.id == CategoryMapping.category_id)
                .where(CategoryMapping.owner_id == owner_id, CategoryMapping.source == self.source))
        }
        self._unseen: dict[str, str] = {}
        self._listed: dict[str, str] | None = None  # the owner's categories by folded name, read when first needed

    def mapped(self, name: str | None) -> str | None:
        """The user's category for a source's category name (the name itself until the user maps it)."""
        if not name or not name.strip():
            return None
        name = name.strip()[:SOURCE_NAME_LIMIT]
        key = name.casefold()
        if key in self._mapped:
            return self._mapped[key]
        if self._listed is None:
            seed_categories(self.session, self.owner_id)  # so "income" from a bank meets the default "Income"
            self._listed = {n.casefold(): n for n in self.session.scalars(
                select(Category.name).where(Category.owner_id == self.owner_id))}
        self._unseen.setdefault(key, name)
        return self._listed.get(key, name)  # the list's own spelling when it has the name

    def remember(self) -> None:
        """Store the names seen for the first time, each mapped onto the category of its name (added if missing)."""
        if not self._unseen:
            return
        ensure_categories(self.session, self.owner_id, self._unseen.values())
        categories = {c.name.casefold(): c for c in self.session.scalars(
            select(Category).where(Category.owner_id == self.owner_id))}
        for key, name in self._unseen.items():
            category = categories[key]
            self.session.add(CategoryMapping(owner_id=self.owner_id, source=self.source, source_name=name,
                                             category_id=category.id))
            self._mapped[key] = category.name
        self._unseen.clear()
        self.session.flush()


def mappings_of(session: Session, scope: Scope) -> list[CategoryMapping]:
    return list(session.scalars(
        select(CategoryMapping).options(selectinload(CategoryMapping.category))
        .where(CategoryMapping.owner_id == scope.owner_id)
        .order_by(CategoryMapping.source, CategoryMapping.source_name)))


def set_mapping(session: Session, scope: Scope, actor: Actor, mapping_id: int, category_id: int) -> bool:
    """Point one source name at another of the owner's categories (for rows that arrive from now on)."""
    mapping = category_mapping_or_404(session, scope, mapping_id)
    category = category_or_404(session, scope, category_id)
    if mapping.category_id == category.id:
        return False
    before = mapping.category.name
    mapping.category = category
    session.flush()
    record_event(session, AuditAction.CATEGORY_MAPPING_SET, actor, owner_id=scope.owner_id,
                 target=f"category_mapping:{mapping.id}",
                 details={"source": mapping.source, "name": mapping.source_name, "category": [before, category.name]})
    return True
