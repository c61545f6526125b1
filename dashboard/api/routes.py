"""Accounts and transactions as JSON: the account pages' queries and edits, behind a token's scope."""
from __future__ import annotations

import uuid

from flask import g, url_for
from sqlalchemy import select
from werkzeug.exceptions import Conflict

from dashboard.access import READ, WRITE, account_or_404, transaction_or_404
from dashboard.accounts.edits import edit_transaction, open_account
from dashboard.accounts.transaction_queries import TransactionFilter, page_position, transaction_page
from dashboard.api import actor, bp, scope
from dashboard.api.documents import check_if_match, errors, with_etag
from dashboard.api.schemas import (AccountIn, AccountList, AccountOut, Health, Me, TransactionIn, TransactionList,
                                   TransactionOut, TransactionPatch, TransactionQuery)
from dashboard.audit import AuditAction, record_event
from dashboard.extensions import db
from dashboard.ledger import delete_transactions, insert_transactions, update_transactions
from dashboard.models import Account, Transaction

# A transaction added through the API carries this external-id prefix and no batch: a "manual" row, which may
# be edited in full and deleted (an imported row may only be recategorised and annotated).
MANUAL_PREFIX = "api:"
MANUAL_FIELDS = ("date", "description", "amount", "status", "counterparty")


@bp.get("/health", endpoint="health")
@bp.doc(security=[])
@bp.response(200, Health)
@errors()
def health():
    """The API answers (no token needed)."""
    return {"status": "ok"}


@bp.get("/me")
@bp.response(200, Me)
@errors()
def me():
    """The token's user and the token's access."""
    token = g.api_token
    return {"id": token.owner.id, "email": token.owner.email, "role": token.owner.role, "token_name": token.name,
            "read_only": token.read_only}


@bp.get("/accounts")
@bp.response(200, AccountList)
@errors()
def accounts():
    """Every account the token's user sees, by type and name."""
    rows = db.session.scalars(select(Account).where(scope().accounts()).order_by(Account.type, Account.name)).all()
    return {"data": rows, "next": None}


@bp.post("/accounts")
@bp.arguments(AccountIn)
@bp.response(201, AccountOut)
@errors(403, 415, 422)
def create_account(values):
    """Open a manual account."""
    account = open_account(db.session, scope(), actor(), values["name"], values["type"], values["currency"],
                           institution=values["institution"])
    db.session.commit()
    return account


@bp.get("/accounts/<int:account_id>")
@bp.response(200, AccountOut)
@errors(304, 404)
def account(account_id: int):
    """One account, with an ETag."""
    return with_etag(AccountOut().dump(account_or_404(db.session, scope(), account_id, READ)))


@bp.get("/accounts/<int:account_id>/transactions")
@bp.arguments(TransactionQuery, location="query")
@bp.response(200, TransactionList)
@errors(404, 422)
def account_transactions(query, account_id: int):
    """One account's transactions, searched, filtered, sorted and paged as the account page does."""
    account_or_404(db.session, scope(), account_id, READ)
    return _page(query, account_id)


@bp.get("/transactions")
@bp.arguments(TransactionQuery, location="query")
@bp.response(200, TransactionList)
@errors(422)
def transactions(query):
    """Transactions across every account the token's user sees."""
    return _page(query, None)


def _page(query: dict, account_id: int | None) -> dict:
    sort = query["sort"]
    filters = TransactionFilter(
        account_id=account_id, query=query["q"].strip(), date_from=query["date_from"], date_to=query["date_to"],
        amount_min=query["amount_min"], amount_max=query["amount_max"], category=query["category"],
        status=query["status"], sort=sort.lstrip("-"), descending=sort.startswith("-"))
    position = page_position(query["after"], None, False, filters.sort)
    page = transaction_page(db.session, scope(), filters, position, per_page=query["limit"])
    following = None
    if page.has_older:
        args = {key: value for key, value in query.items() if value not in (None, "") and key != "after"}
        endpoint = "api.account_transactions" if account_id is not None else "api.transactions"
        if account_id is not None:
            args["account_id"] = account_id
        following = url_for(endpoint, **args, after=page.last_key, _external=True)
    return {"data": [_as_dict(row) for row in page.rows], "next": following}


def _transaction(row: Transaction) -> dict:
    return TransactionOut().dump(_as_dict(row))


def _as_dict(row: Transaction) -> dict:
    return {column: getattr(row, column) for column in TransactionOut().fields if column != "manual"} | {
        "manual": row.batch_id is None and row.external_id.startswith(MANUAL_PREFIX)}


@bp.get("/transactions/<int:transaction_id>")
@bp.response(200, TransactionOut)
@errors(304, 404)
def transaction(transaction_id: int):
    """One transaction, with an ETag."""
    return with_etag(_transaction(transaction_or_404(db.session, scope(), transaction_id, READ)))


@bp.post("/accounts/<int:account_id>/transactions")
@bp.arguments(TransactionIn)
@bp.response(201, TransactionOut)
@errors(403, 404, 415, 422)
def create_transaction(values, account_id: int):
    """Add a manual transaction, in the account's currency."""
    account = account_or_404(db.session, scope(), account_id, WRITE)
    external_id = MANUAL_PREFIX + uuid.uuid4().hex
    insert_transactions(db.session, [{
        "owner_id": account.owner_id, "account_id": account.id, "external_id": external_id,
        "currency": account.currency, **values}])
    row = db.session.scalar(select(Transaction).where(Transaction.account_id == account.id,
                                                      Transaction.external_id == external_id))
    record_event(db.session, AuditAction.TRANSACTION_CREATE, actor(), owner_id=account.owner_id,
                 target=f"transaction:{row.id}", details={"amount": str(row.amount), "date": row.date.isoformat()})
    db.session.commit()
    return _as_dict(row)


@bp.patch("/transactions/<int:transaction_id>")
@bp.arguments(TransactionPatch)
@bp.response(200, TransactionOut)
@errors(403, 404, 409, 412, 415, 422)
def patch_transaction(values, transaction_id: int):
    """Change a transaction's category and note; on a manual row also its date, description, amount, status and
    counterparty. Send the ETag you read as If-Match to refuse a stale write (412)."""
    row = transaction_or_404(db.session, scope(), transaction_id, WRITE)
    check_if_match(_transaction(row))
    manual_values = {name: values[name] for name in MANUAL_FIELDS if name in values}
    if manual_values and not _as_dict(row)["manual"]:
        raise Conflict(f"Only a manual transaction's {', '.join(manual_values)} may change; "
                       "an imported one takes a category and a note.")
    if "category" in values or "note" in values:
        edit_transaction(db.session, scope(), actor(), row, values.get("category", row.category),
                         values.get("note", row.note))
    if manual_values:
        update_transactions(db.session, scope(), [row.id], **manual_values)
        record_event(db.session, AuditAction.TRANSACTION_EDIT, actor(), owner_id=row.owner_id,
                     target=f"transaction:{row.id}", details={k: str(v) for k, v in manual_values.items()})
    db.session.commit()
    db.session.refresh(row)
    return _as_dict(row)


@bp.delete("/transactions/<int:transaction_id>")
@bp.response(204)
@errors(403, 404, 409)
def delete_transaction(transaction_id: int):
    """Delete a manual transaction (an imported one goes when its import is undone)."""
    row = transaction_or_404(db.session, scope(), transaction_id, WRITE)
    if not _as_dict(row)["manual"]:
        raise Conflict("Only a manual transaction may be deleted; undo its import instead.")
    details = {"amount": str(row.amount), "date": row.date.isoformat(), "description": row.description}
    delete_transactions(db.session, scope(), [row.id])
    record_event(db.session, AuditAction.TRANSACTION_DELETE, actor(), owner_id=row.owner_id,
                 target=f"transaction:{transaction_id}", details=details)
    db.session.commit()
    return ""

