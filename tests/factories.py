"""Test data, built through the same functions the app uses.

Factories flush and never commit, so a test runs inside the transaction that conftest rolls back; a test that
needs its data committed (see the ``committed`` fixture) commits itself.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.auth.services import create_user as create_user_service
from dashboard.ledger import insert_transactions
from dashboard.models import Account, User
from dashboard.models.accounts import TransactionStatus
from dashboard.models.users import Role

PASSWORD = "correct horse battery"


def create_user(session: Session, email: str, role: Role = Role.USER, password: str = PASSWORD) -> User:
    return create_user_service(session, email, password, role)


def create_account(session: Session, owner: User, name: str = "Checking", currency: str = "GBP", **fields) -> Account:
    """An account; one given a stated ``ledger_balance`` opens at it (rows added later move the computed balance)."""
    if fields.get("ledger_balance") is not None:
        fields.setdefault("opening_balance", fields["ledger_balance"])
    account = Account(owner_id=owner.id, name=name, currency=currency, **fields)
    session.add(account)
    session.flush()
    return account


def add_transactions(session: Session, account: Account, rows: list[tuple], external_ids: list[str] | None = None,
                     **fields) -> int:
    """rows: (date or ISO string, amount, description[, category]); ``external_ids``, one per row, when given."""
    if external_ids is not None and len(external_ids) != len(rows):
        raise ValueError(f"{len(external_ids)} external ids for {len(rows)} rows")
    prepared = []
    for number, row in enumerate(rows):
        day, amount, description, *rest = row
        prepared.append({
            "owner_id": account.owner_id, "account_id": account.id,
            "external_id": external_ids[number] if external_ids else f"test-{account.id}-{number}-{description}",
            "date": date.fromisoformat(day) if isinstance(day, str) else day,
            "amount": Decimal(str(amount)), "description": description, "currency": account.currency,
            "category": rest[0] if rest else None, "status": TransactionStatus.POSTED, **fields,
        })
    return insert_transactions(session, prepared)


def log_in(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def add_rows(session: Session, account: Account, rows: list[dict]) -> int:
    """rows: dicts with date, amount and any other Transaction column (category, nominal_code, ...)."""
    prepared = [{
        "owner_id": account.owner_id, "account_id": account.id, "currency": account.currency,
        "status": TransactionStatus.POSTED,
        "external_id": f"row-{account.id}-{number}", "description": f"row {number}", **row,
        "amount": Decimal(str(row["amount"])),
    } for number, row in enumerate(rows)]
    return insert_transactions(session, prepared)


def import_sage_file(session: Session, account: Account, path) -> int:
    """Import a Sage 50 audit trail into ``account`` through the loader, as the import page does."""
    from dashboard.importers import sage
    from dashboard.importers.batches import import_parsed

    data = path.read_bytes()
    batch = import_parsed(session, Scope.of_user(account.owner_id), Actor(account.owner_id), account, sage.parse(data),
                          path.name, data)
    return batch.rows_inserted


def add_pending(session: Session, account: Account, day: str, amount: str, description: str) -> int:
    """One pending transaction (a card hold)."""
    return add_transactions(session, account, [(day, amount, description)], status=TransactionStatus.PENDING,
                            external_ids=[f"pending-{account.id}-{day}-{description}"])
