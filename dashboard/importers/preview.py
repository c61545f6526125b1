"""What importing a parsed file would do, before anything is written: its first rows and the counts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.access import WRITE, Scope
from dashboard.importers.account_plans import AccountPlan, plan_accounts
from dashboard.importers.batches import CHUNK_ROWS, chunks, content_hash, row_currency, transaction_row
from dashboard.importers.identity import identified_transactions
from dashboard.importers.records import ParsedFile
from dashboard.models import Account, ImportBatch, Transaction
from dashboard.rules.application import Categoriser

PREVIEW_ROWS = 20


@dataclass
class PreviewRow:
    date: date
    description: str
    amount: Decimal
    currency: str
    status: str
    account_name: str
    is_new: bool
    line: int | None
    category: str | None = None  # as it will be stored: the source's, mapped, then the rules'
    skipped: bool = False  # a rule says not to import it


@dataclass
class Preview:
    format: str
    encoding: str | None
    details: dict[str, str]
    rows: list[PreviewRow]
    accounts: list[AccountPlan]
    previous_import: ImportBatch | None  # the same bytes imported into this account before
    skipped: int = 0  # new rows a rule says not to import

    @property
    def read(self) -> int:
        return sum(plan.read for plan in self.accounts)

    @property
    def new(self) -> int:
        return sum(plan.new for plan in self.accounts) - self.skipped

    @property
    def duplicates(self) -> int:
        return self.read - self.new - self.skipped

    @property
    def currency_warnings(self) -> list[str]:
        """A file in another currency than the account: the wrong account was chosen, so it is refused."""
        return [
            f"The file states {', '.join(plan.foreign_currencies)} but {plan.name} is in {plan.account.currency}."
            for plan in self.accounts if plan.foreign_currencies
        ]

    @property
    def foreign_currencies(self) -> list[str]:
        return list(dict.fromkeys(c for plan in self.accounts for c in plan.foreign_currencies))

    @property
    def refusal(self) -> str | None:
        """Why this file is not to be imported as it stands, or None: mixed currencies, or nothing new."""
        if self.currency_warnings:
            return (" ".join(self.currency_warnings) + " Import it into an account in "
                    f"{' or '.join(self.foreign_currencies)}, or create one; nothing was imported.")
        if self.read and not self.new and self.skipped:
            return "Your rules skip every new transaction in this file; there is nothing to import."
        if self.read and not self.new:
            return "Every transaction in this file is already imported; there is nothing to import."
        return None


def preview_import(session: Session, scope: Scope, account: Account, parsed: ParsedFile,
                   data: bytes | None = None) -> Preview:
    """What importing into ``account`` would do: the first rows, and how many are new or duplicates.

    Writes nothing. The scope must grant WRITE on the account, as the import will.
    """
    scope.check(account.owner_id, account.id, WRITE)
    plans = plan_accounts(session, account, parsed)
    categoriser = Categoriser(session, account.owner_id)
    rows: list[PreviewRow] = []
    skipped = 0
    for plan in plans:
        for chunk in chunks(identified_transactions(plan.statements, plan.account, parsed.format), CHUNK_ROWS):
            existing = _existing_ids(session, plan.account, [external_id for _, _, external_id in chunk])
            plan.new += sum(1 for _, _, external_id in chunk if external_id not in existing)
            for transaction, statement, external_id in chunk:
                values = transaction_row(transaction, statement, external_id, plan.account or account, None)
                outcome = categoriser.outcome(values, plan.name)
                skipped += outcome.skip and external_id not in existing
                if len(rows) < PREVIEW_ROWS:
                    rows.append(PreviewRow(
                        transaction.date, transaction.description, transaction.amount,
                        row_currency(transaction, statement, plan.account or account), transaction.status,
                        plan.name, external_id not in existing, transaction.line,
                        outcome.changes.get("category", values["category"]), outcome.skip,
                    ))
    previous = None
    if data is not None:
        previous = session.scalar(
            select(ImportBatch)
            .where(scope.rows(ImportBatch), ImportBatch.account_id == account.id,
                   ImportBatch.content_hash == content_hash(data), ImportBatch.undone_at.is_(None))
            .order_by(ImportBatch.id.desc()).limit(1)
        )
    return Preview(parsed.format, parsed.encoding, dict(parsed.details), rows, plans, previous, skipped)


def _existing_ids(session: Session, account: Account | None, external_ids: list[str]) -> set[str]:
    if account is None or not external_ids:
        return set()
    return set(session.scalars(select(Transaction.external_id).where(
        Transaction.account_id == account.id, Transaction.external_id.in_(external_ids))))
