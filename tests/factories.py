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
