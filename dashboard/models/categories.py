"""Each owner's category list (with an optional parent) and the mapping of source categories onto it.

A transaction stores its category by name (``transactions.category``), and
the monthly totals are keyed by that name; a name is unique per owner, so the
name alone says which category a row is in and renaming one rewrites the rows.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.models.base import Base

PARENT_SEPARATOR = " › "


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    # One level of nesting is what people use ("Food › Groceries"); a parent's parent is refused by the services.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    parent = relationship("Category", remote_side="Category.id")

    @property
    def label(self) -> str:
        """The name with its parent's in front: "Food › Groceries"."""
        return f"{self.parent.name}{PARENT_SEPARATOR}{self.name}" if self.parent is not None else self.name

    def __repr__(self) -> str:
        return f"<Category {self.id} {self.name}>"


class CategorySource(StrEnum):
    """Where a category name that is not the user's own came from."""

    TELLER = "teller"  # a Teller transaction's details.category
    FILE = "file"  # a QIF L line or a CSV category column


class CategoryMapping(Base):
    """A source's category name (stored case-folded) and the category of the user's list it becomes."""

    __tablename__ = "category_mappings"
    __table_args__ = (
        UniqueConstraint("owner_id", "source", "source_name"),
        Index("ix_category_mappings_category_id", "category_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str] = mapped_column(String(120))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))

    category = relationship("Category")
