"""Test data, built through the same functions the app uses."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from dashboard.auth.services import create_user as create_user_service
from dashboard.ledger import insert_transactions
from dashboard.models import Account, User

PASSWORD = "correct horse battery"


def create_user(session: Session, email: str, admin: bool = False, password: str = PASSWORD) -> User:
    user = create_user_service(session, email, password, admin=admin)
    session.commit()
    return user


def create_account(session: Session, owner: User, name: str = "Checking", currency: str = "GBP", **fields) -> Account:
    account = Account(owner_id=owner.id, name=name, currency=currency, **fields)
    session.add(account)
    session.commit()
    return account


def add_transactions(session: Session, account: Account, rows: list[tuple], **fields) -> int:
    """rows: (date or ISO string, amount, description[, category]); committed."""
    prepared = []
    for number, row in enumerate(rows):
        day, amount, description, *rest = row
        prepared.append({
            "owner_id": account.owner_id, "account_id": account.id,
            "external_id": fields.pop("external_id", None) or f"test-{account.id}-{number}-{description}",
            "date": date.fromisoformat(day) if isinstance(day, str) else day,
            "amount": Decimal(str(amount)), "description": description, "currency": account.currency,
            "category": rest[0] if rest else None, "status": "posted", **fields,
        })
    inserted = insert_transactions(session, prepared)
    session.commit()
    return inserted


def log_in(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def add_rows(session: Session, account: Account, rows: list[dict]) -> int:
    """rows: dicts with date, amount and any other Transaction column (category, nominal_code, ...); committed."""
    prepared = [{
        "owner_id": account.owner_id, "account_id": account.id, "currency": account.currency, "status": "posted",
        "external_id": f"row-{account.id}-{number}", "description": f"row {number}", **row,
        "amount": Decimal(str(row["amount"])),
    } for number, row in enumerate(rows)]
    inserted = insert_transactions(session, prepared)
    session.commit()
    return inserted


def import_sage_file(session: Session, account: Account, path) -> int:
    """Import a Sage 50 audit trail into ``account`` through the loader, as the import page does; committed."""
    from dashboard.importers import sage
    from dashboard.access import Scope
    from dashboard.audit import Actor
    from dashboard.importers.batches import import_parsed

    data = path.read_bytes()
    batch = import_parsed(session, Scope.of_user(account.owner_id), Actor(account.owner_id), account, sage.parse(data),
                          path.name, data)
    session.commit()
    return batch.rows_inserted


def add_pending(session: Session, account: Account, day: str, amount: str, description: str) -> int:
    """One pending transaction (a card hold), committed."""
    return add_transactions(session, account, [(day, amount, description)], status="pending",
                            external_id=f"pending-{account.id}-{day}-{description}")
