"""Accounts and transactions as JSON: the account pages' queries and edits, behind a token's scope."""
from __future__ import annotations

from flask import g, url_for
from sqlalchemy import select
from werkzeug.exceptions import Conflict, UnprocessableEntity

from dashboard.access import READ, WRITE, account_or_404, transaction_or_404
from dashboard.accounts.edits import ENTERED_BY_HAND, TransactionError, add_transaction, update_transaction
from dashboard.accounts.edits import delete_transaction as remove_transaction
from dashboard.accounts.services import AccountError, open_account
from dashboard.accounts.splits import parts_by_transaction
from dashboard.accounts.transaction_queries import TransactionFilter, page_position, transaction_page
from dashboard.api import actor, bp, scope
from dashboard.api.documents import check_if_match, errors, with_etag
from dashboard.api.schemas import (AccountIn, AccountList, AccountOut, Health, Me, TransactionIn, TransactionList,
                                   TransactionOut, TransactionPatch, TransactionQuery)
from dashboard.extensions import db
from dashboard.models import Account, Transaction
from dashboard.models.accounts import TransactionSource



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
    try:
        account = open_account(db.session, scope(), actor(), values["name"], values["type"], values["currency"],
                               institution=values["institution"])
    except AccountError as error:
        raise UnprocessableEntity(str(error)) from None
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
    parts = parts_by_transaction(db.session, page.split_ids)
    return {"data": [_as_dict(row, parts.get(row.id, [])) for row in page.rows], "next": following}


def _transaction(row: Transaction) -> dict:
    return TransactionOut().dump(_as_dict(row))


def _as_dict(row: Transaction, parts: list | None = None) -> dict:
    """The transaction as ``TransactionOut`` has it; its parts read here unless the caller read them for a page."""
    if parts is None:
        parts = parts_by_transaction(db.session, [row.id]).get(row.id, [])
    return {column: getattr(row, column) for column in TransactionOut().fields if column not in ("manual", "splits")} | {
        "manual": row.source in ENTERED_BY_HAND, "splits": parts}


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
    try:
        row = add_transaction(db.session, scope(), actor(), account, values, source=TransactionSource.API)
    except TransactionError as error:
        raise UnprocessableEntity(str(error)) from None
    db.session.commit()
    return _as_dict(row)


@bp.patch("/transactions/<int:transaction_id>")
@bp.arguments(TransactionPatch)
@bp.response(200, TransactionOut)
@errors(403, 404, 409, 412, 415, 422)
def patch_transaction(values, transaction_id: int):
    """Change a transaction's category, note, description and counterparty; on a manual row also its date, amount
    and status (the pages' rule). A change of description, counterparty or amount runs your rules again for the
    fields the request leaves out (what it sends always wins). Send the ETag you read as If-Match to refuse a
    stale write (412); a row in a period the user reconciled answers 409."""
    row = transaction_or_404(db.session, scope(), transaction_id, WRITE)
    check_if_match(_transaction(row))
    try:
        update_transaction(db.session, scope(), actor(), row, values, run_rules=True)
    except TransactionError as error:
        raise Conflict(str(error)) from None
    db.session.commit()
    db.session.refresh(row)
    return _as_dict(row)


@bp.delete("/transactions/<int:transaction_id>")
@bp.response(204)
@errors(403, 404, 409)
def delete_transaction(transaction_id: int):
    """Delete a manual transaction (an imported one goes when its import is undone)."""
    row = transaction_or_404(db.session, scope(), transaction_id, WRITE)
    if row.source not in ENTERED_BY_HAND:
        raise Conflict("Only a manual transaction may be deleted; undo its import instead.")
    remove_transaction(db.session, scope(), actor(), row)
    db.session.commit()
    return ""

