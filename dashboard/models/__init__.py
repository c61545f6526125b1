"""Every model, importable from one place (Alembic's autogenerate needs them all loaded)."""
from dashboard.models.accounts import Account, MonthlyTotal, StatedBalance, Transaction
from dashboard.models.audit import AuditEvent
from dashboard.models.base import Base, Money
from dashboard.models.imports import ImportBatch
from dashboard.models.users import User

__all__ = ["Account", "AuditEvent", "Base", "ImportBatch", "Money", "MonthlyTotal", "StatedBalance", "Transaction", "User"]
