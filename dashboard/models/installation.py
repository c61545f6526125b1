"""Settings of the whole installation that an admin changes on its pages."""
from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.models.base import Base

REQUIRE_TWO_FACTOR = "require_two_factor"  # true: every user must enrol before using anything else


class InstallationSetting(Base):
    __tablename__ = "installation_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict | list | str | int | bool | None] = mapped_column(JSON)
