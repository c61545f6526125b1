"""Every model, importable from one place (Alembic's autogenerate needs them all loaded)."""
from dashboard.models.accounts import Account, MonthlyTotal, StatedBalance, Transaction, TransactionSplit
from dashboard.models.audit import AuditEvent
from dashboard.models.base import Base, Money
from dashboard.models.budgets import Budget
from dashboard.models.categories import Category, CategoryMapping
from dashboard.models.imports import ImportBatch
from dashboard.models.installation import InstallationSetting
from dashboard.models.nominal import NominalCode
from dashboard.models.rates import ExchangeRate
from dashboard.models.recurring import RecurringPayment
from dashboard.models.rules import Rule
from dashboard.models.teller import TellerAccount, TellerEnrollment, TellerMatchReview, TellerWebhookEvent
from dashboard.models.sessions import UserSession
from dashboard.models.shares import AccountShare
from dashboard.models.similarity import SimilarityVector, TransactionVector
from dashboard.models.tokens import ApiToken
from dashboard.models.two_factor import Passkey, PasskeyChallenge, RecoveryCode, TotpCredential
from dashboard.models.users import User

__all__ = ["Account", "AccountShare", "ApiToken", "AuditEvent", "Base", "Budget", "Category", "CategoryMapping",
           "ExchangeRate", "ImportBatch", "InstallationSetting", "Money", "MonthlyTotal", "NominalCode", "Passkey",
           "PasskeyChallenge",
           "RecoveryCode", "RecurringPayment", "Rule", "StatedBalance", "TellerAccount", "TellerEnrollment",
           "TellerMatchReview", "TellerWebhookEvent", "TotpCredential", "SimilarityVector", "Transaction",
           "TransactionSplit", "TransactionVector", "User", "UserSession"]
