"""Every model, importable from one place (Alembic's autogenerate needs them all loaded)."""
from dashboard.models.accounts import Account, MonthlyTotal, StatedBalance, Transaction
from dashboard.models.audit import AuditEvent
from dashboard.models.base import Base, Money
from dashboard.models.imports import ImportBatch
from dashboard.models.installation import InstallationSetting
from dashboard.models.nominal import NominalCode
from dashboard.models.sessions import UserSession
from dashboard.models.shares import AccountShare
from dashboard.models.teller import TellerAccount, TellerEnrollment, TellerWebhookEvent
from dashboard.models.tokens import ApiToken
from dashboard.models.two_factor import RecoveryCode, TotpCredential
from dashboard.models.users import User

__all__ = ["Account", "AccountShare", "ApiToken", "AuditEvent", "Base", "ImportBatch", "InstallationSetting", "Money",
           "MonthlyTotal", "NominalCode", "RecoveryCode", "StatedBalance", "TellerAccount", "TellerEnrollment",
           "TellerWebhookEvent", "TotpCredential", "Transaction", "User", "UserSession"]
