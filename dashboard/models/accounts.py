"""Accounts, their transactions and the monthly totals kept in step with them."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.models.base import Base, Money
from dashboard.search import DESCRIPTION_KEY_LENGTH


class AccountSource(StrEnum):
    """Where an account came from."""

    MANUAL = "manual"  # added by hand
    FILE = "file"  # created by an import
    TELLER = "teller"  # a bank connected through Teller
    LEDGER = "ledger"  # an accounting export's nominal ledger


class AccountType(StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"
    CREDIT_CARD = "credit_card"
    BUSINESS = "business"
    LOAN = "loan"
    INVESTMENT = "investment"
    CASH = "cash"
    LEDGER = "ledger"  # postings to nominal codes (a Sage audit trail), not money held


LIABILITY_TYPES = frozenset({AccountType.CREDIT_CARD, AccountType.LOAN})


class TransactionSource(StrEnum):
    """Where a transaction came from: only manual rows may change amount and date."""

    MANUAL = "manual"
    IMPORT = "import"
    TELLER = "teller"
    API = "api"


class TransactionStatus(StrEnum):
    POSTED = "posted"
    PENDING = "pending"


TRANSFER_CATEGORY = "Transfers"


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("owner_id", "source", "external_id"),
        Index("ix_accounts_owner_name", "owner_id", "name"),
        # Names are unique per owner ignoring case, so `--account NAME` always names one account.
        Index("uq_accounts_owner_id_lower_name", "owner_id", text("lower(name)"), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(32), default=AccountType.CHECKING)
    subtype: Mapped[str | None] = mapped_column(String(32))
    institution: Mapped[str | None] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    last_four: Mapped[str | None] = mapped_column(String(4))
    source: Mapped[str] = mapped_column(String(16), default=AccountSource.MANUAL)
    external_id: Mapped[str | None] = mapped_column(String(128))
    ledger_balance: Mapped[Decimal | None] = mapped_column(Money)
    available_balance: Mapped[Decimal | None] = mapped_column(Money)
    balance_as_of: Mapped[datetime | None]
    csv_mapping: Mapped[dict | None] = mapped_column(JSON)  # remembered column mapping for CSV imports
    # The balance before the first row: computed balance = opening balance + posted rows.
    opening_balance: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    opening_date: Mapped[date | None] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    owner = relationship("User")

    @property
    def liability(self) -> bool:
        """Credit cards and loans: their balance is what is owed."""
        return self.type in LIABILITY_TYPES

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.name}>"


class Transaction(Base):
    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("account_id", "external_id"),
        # Carries the amount on PostgreSQL, so running balances sum from the index alone.
        # One account's rows by date; it carries what a filtered view's totals read (an account, a category, a date
        # range), so those totals are an index-only scan on PostgreSQL, not a visit to every matching row.
        Index("ix_transactions_account_date_id", "account_id", "date", "id",
              postgresql_include=["amount", "owner_id", "currency", "category"]),
        Index("ix_transactions_owner_date_id", "owner_id", "date", "id"),
        Index("ix_transactions_batch_id", "batch_id"),
        # Deleting rows (an undo, a closed account) nulls the transfer links that point at them: without this
        # index each deleted row is a scan of the whole table.
        Index("ix_transactions_transfer_id", "transfer_id"),
        # Sorting the transaction table by amount or description without reading every row. Amounts sort and
        # filter by size (money in and out alike), so those indexes hold abs(amount).
        Index("ix_transactions_account_size_id", "account_id", text("abs(amount)"), "id"),
        Index("ix_transactions_account_description_key_id", "account_id", "description_key", "id"),
        Index("ix_transactions_owner_size_id", "owner_id", text("abs(amount)"), "id"),
        Index("ix_transactions_owner_description_key_id", "owner_id", "description_key", "id"),
        # Substring search: a pg_trgm GIN index on PostgreSQL. SQLite cannot use an index for
        # LIKE '%x%' and gets a plain one, only so both engines' schemas match the models.
        Index("ix_transactions_search_text_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
        # The few pending rows, with their amounts: balances are the monthly totals less these (an index-only
        # scan on PostgreSQL), not a sum over every row.
        Index("ix_transactions_account_pending", "owner_id", "account_id", postgresql_include=["amount"],
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
        # The rows with a nominal code, for the trial balance and the balance sheet: a scan of their own instead
        # of the whole table.
        Index("ix_transactions_owner_nominal_code", "owner_id", "nominal_code",
              postgresql_include=["account_id", "currency", "date", "amount"],
              postgresql_where=text("nominal_code IS NOT NULL AND nominal_code <> ''"),
              sqlite_where=text("nominal_code IS NOT NULL AND nominal_code <> ''")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The owner is stored on the row so per-user queries need no join and the
    # table can be distributed by owner later.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(128))
    date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500), default="")
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=TransactionStatus.POSTED)
    category: Mapped[str | None] = mapped_column(String(120))
    counterparty: Mapped[str | None] = mapped_column(String(255))
    nominal_code: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    # The balance the source stated after this row (a CSV balance column, Teller's running_balance):
    # reconciliation names the first row where these depart from opening balance + rows.
    stated_balance: Mapped[Decimal | None] = mapped_column(Money)
    # Case-folded description and counterparty: Unicode-aware search on both engines.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The description order: dashboard.search.description_key, compared byte by byte on both engines (the "C"
    # collation on PostgreSQL, whatever the database's locale), so both order and page it the same way.
    description_key: Mapped[str] = mapped_column(
        String(DESCRIPTION_KEY_LENGTH).with_variant(String(DESCRIPTION_KEY_LENGTH, collation="C"), "postgresql"),
        default="", server_default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16), default=TransactionSource.IMPORT,
                                        server_default=TransactionSource.IMPORT.value)
    # The other side of a transfer between the owner's own accounts; both rows point at each other.
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    account = relationship("Account")

    def __repr__(self) -> str:
        return f"<Transaction {self.id} {self.date} {self.amount}>"


class TransactionSplit(Base):
    """One part of a split transaction: its amount, category and note.

    The parts of a transaction sum exactly to its amount (``dashboard.ledger.set_splits``
    is the only writer and checks it); a split transaction is totalled, reported and
    exported part by part. The owner and account are stored as on the transaction, so
    the scope filters parts without a join.
    """

    __tablename__ = "transaction_splits"
    __table_args__ = (UniqueConstraint("transaction_id", "position"),
                      Index("ix_transaction_splits_owner_id", "owner_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1, 2, ...: the part's number, also the suffix of its external id in the export
    amount: Mapped[Decimal] = mapped_column(Money)
    category: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)


class MonthlyTotal(Base):
    """Income and expense per owner, account, month, category, nominal code and currency.

    Written only through ``dashboard.ledger`` in the same database transaction
    as the rows it sums, so report pages read thousands of rows, not millions.
    Empty category and nominal code are stored as '' so the unique key holds.
    """

    __tablename__ = "monthly_totals"
    __table_args__ = (
        UniqueConstraint("owner_id", "account_id", "month", "category", "nominal_code", "currency"),
        Index("ix_monthly_totals_owner_month", "owner_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(120), default="")
    nominal_code: Mapped[str] = mapped_column(String(16), default="")
    currency: Mapped[str] = mapped_column(String(3))
    income: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    expense: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))  # a positive figure
    transactions: Mapped[int] = mapped_column(default=0)


class StatedBalance(Base):
    """A balance a file or the bank stated for an account on a date, kept for reconciliation.

    ``batch_id`` names the import that stated it (none for the bank or the demo),
    so undoing the import removes what it stated and the account's stated
    balance becomes the newest one left; ``reconciled_at`` marks the period up to this balance as
    reconciled by the user.
    """

    __tablename__ = "stated_balances"
    __table_args__ = (Index("ix_stated_balances_account_date", "account_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    # The balance at the end of ``date``: rows up to and including that day are summed against it.
    amount: Mapped[Decimal] = mapped_column(Money)
    available: Mapped[Decimal | None] = mapped_column(Money)
    as_of: Mapped[datetime]
    # This balance, less the rows, gave the account its opening balance: undoing the batch clears it.
    gave_opening: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # An opening balance (camt OPBD, or PRCD in a camt.052): the balance before the rows of the day after
    # ``date``, so it is checked against the rows up to ``date`` like any other.
    opening: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reconciled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
