"""Each owner's categorisation rules, in the order they are tried.

Conditions and actions are stored as the JSON lists that ``rules import`` and
``rules export`` exchange (see DESIGN.md), so the file format and the table
never drift apart; ``dashboard.rules.definitions`` validates them.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, func, true
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.models.base import Base


class RuleMatch(StrEnum):
    ALL = "all"
    ANY = "any"


class Rule(Base):
    __tablename__ = "rules"
    __table_args__ = (Index("ix_rules_owner_position", "owner_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)  # tried in ascending order
    name: Mapped[str] = mapped_column(String(120))
    match: Mapped[str] = mapped_column(String(3), default=RuleMatch.ALL)
    # When true, later rules are not tried on a row this one matched.
    stop: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    conditions: Mapped[list] = mapped_column(JSON)
    actions: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Rule {self.id} {self.name}>"
