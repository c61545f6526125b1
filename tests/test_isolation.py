"""Another user's ids answer 404 on every route and every verb, and nothing of theirs changes.

The test walks ``app.url_map``, so routes added later are covered without
touching this file. A route with an id argument this test does not know
fails loudly: add the argument to ``ID_ARGUMENTS``.
"""

import pytest
from sqlalchemy import select

from dashboard.api.tokens import create_token
from dashboard.audit import Actor
from dashboard.access import Scope
from dashboard.categories.bulk import categorise_rows
from dashboard.categories.services import categories_of
from dashboard.models import Account, ApiToken, Category, CategoryMapping, ImportBatch, MonthlyTotal, Rule, Transaction
from dashboard.rules.definitions import rule_from_json
from dashboard.rules.services import create_rule
from tests import factories

# Argument name -> which of a user's objects it names.
ID_ARGUMENTS = {
    "account_id": "account",
    "transaction_id": "transaction",
    "batch_id": "batch",
    "user_id": "user",
    "token_id": "token",
    "category_id": "category",
    "mapping_id": "mapping",
    "rule_id": "rule",
    "event_id": "bulk_change",
}
PLACEHOLDER = "4000"  # for arguments that are not ids, such as a nominal code
SKIPPED_METHODS = {"OPTIONS"}  # answered by Flask itself for any matching URL


def _owned_objects(db, user, prefix: str) -> dict[str, int]:
    account = factories.create_account(db.session, user, name=f"{prefix} account")
    batch = ImportBatch(owner_id=user.id, account_id=account.id, filename=f"{prefix}.csv", format="csv",
                        content_hash=prefix * 8, rows_read=1, rows_inserted=1)
    db.session.add(batch)
    db.session.commit()
    factories.add_transactions(db.session, account, [("2024-01-01", "-5", f"{prefix} coffee", "Eating out")],
                               batch_id=batch.id)
    transaction_id = db.session.scalar(select(Transaction.id).where(Transaction.account_id == account.id))
    token = create_token(db.session, Actor.system(), user, f"{prefix} token").token
    scope = Scope.of_user(user.id)
    rule = create_rule(db.session, scope, Actor(user.id), rule_from_json({
        "name": f"{prefix} rule", "conditions": [{"field": "description", "op": "contains", "value": "coffee"}],
        "actions": [{"action": "set_category", "value": "Eating out"}]}))
    mapping = CategoryMapping(owner_id=user.id, source="file", source_name=f"{prefix} food",
                              category_id=categories_of(db.session, scope)[0].id)
    db.session.add(mapping)
    bulk = categorise_rows(db.session, scope, Actor(user.id), "Coffee", ids=[transaction_id])
    db.session.commit()
    return {"account": account.id, "transaction": transaction_id, "batch": batch.id, "user": user.id,
            "token": token.id, "category": mapping.category_id, "mapping": mapping.id, "rule": rule.id,
            "bulk_change": bulk.event_id}


def _snapshot(db, owner_id: int) -> list:
    """Everything of the owner's that a route could change."""
    db.session.expire_all()
    state = []
    for model in (Account, Transaction, ImportBatch, MonthlyTotal, ApiToken, Category, CategoryMapping, Rule):
        table = model.__table__
        rows = db.session.execute(select(table).where(table.c.owner_id == owner_id).order_by(table.c.id)).all()
        state.append([tuple(row) for row in rows])
    return state


def _id_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        ids = [name for name, converter in rule._converters.items() if converter.regex == r"\d+"]
        if ids:
            rules.append((rule, ids))
    return rules


def _expected_status(rule) -> int:
    """Admin pages refuse a non-admin with 403 before looking at any id; the API takes no session cookie (401;
    tests/test_api_document.py checks it with another user's token); everything else says 404."""
    if rule.endpoint.startswith("api."):
        return 401
    return 403 if rule.endpoint.startswith("admin.") else 404


def test_every_route_with_an_id_refuses_another_users_objects(app, db, user, auth_client):
    mine = _owned_objects(db, user, "alice")
    bob = factories.create_user(db.session, "bob@example.com")
    theirs = _owned_objects(db, bob, "bob")
    before = _snapshot(db, bob.id)

    rules = _id_rules(app)
    unknown = {(rule.rule, name) for rule, ids in rules for name in ids if name not in ID_ARGUMENTS}
    assert not unknown, f"routes with id arguments this test does not know; add them to ID_ARGUMENTS: {unknown}"
    covered = set()
    failures = []
    for rule, ids in rules:
        others = {name: PLACEHOLDER for name in rule.arguments if name not in ids}
        # Every id the other user's, then each id alone the other user's beside the user's own.
        combinations = [{name: theirs[ID_ARGUMENTS[name]] for name in ids}]
        if len(ids) > 1:
            combinations += [{n: (theirs if n == name else mine)[ID_ARGUMENTS[n]] for n in ids} for name in ids]
        for values in combinations:
            path = rule.build({**others, **values}, append_unknown=False)[1]
            for method in sorted(rule.methods - SKIPPED_METHODS):
                status = auth_client.open(path, method=method, data={"category": "hacked", "note": "x"}).status_code
                covered.add(rule.endpoint)
                if status != _expected_status(rule):
                    failures.append(f"{method} {path} ({rule.endpoint}) answered {status}")
    assert not failures, "\n".join(failures)
    assert {"accounts.account", "accounts.transaction", "accounts.account_export"} <= covered
    assert _snapshot(db, bob.id) == before


def test_the_same_routes_open_for_the_owner(app, db, user, auth_client):
    """The 404s above come from ownership, not from URLs that never work."""
    mine = _owned_objects(db, user, "alice")
    for rule, ids in _id_rules(app):
        if "GET" not in rule.methods or rule.endpoint.startswith("admin.") or \
                any(name not in ID_ARGUMENTS for name in ids):
            continue
        others = {name: PLACEHOLDER for name in rule.arguments if name not in ids}
        path = rule.build({**others, **{name: mine[ID_ARGUMENTS[name]] for name in ids}}, append_unknown=False)[1]
        assert auth_client.get(path).status_code != 404, f"GET {path} ({rule.endpoint})"


def test_bulk_category_with_another_users_id_is_404_and_changes_nothing(db, user, auth_client):
    mine = _owned_objects(db, user, "alice")
    bob = factories.create_user(db.session, "bob@example.com")
    theirs = _owned_objects(db, bob, "bob")
    before = _snapshot(db, bob.id), _snapshot(db, user.id)
    response = auth_client.post("/transactions/categorise", data={
        "ids": [str(mine["transaction"]), str(theirs["transaction"])], "category": "hacked"})
    assert response.status_code == 404
    assert (_snapshot(db, bob.id), _snapshot(db, user.id)) == before


@pytest.mark.parametrize("url", ["/transactions?account={account}", "/transactions/export.csv?account={account}"])
def test_account_filter_with_another_users_account_shows_nothing_of_theirs(db, user, auth_client, url):
    _owned_objects(db, user, "alice")
    bob = factories.create_user(db.session, "bob@example.com")
    theirs = _owned_objects(db, bob, "bob")
    body = auth_client.get(url.format(account=theirs["account"])).get_data(as_text=True)
    assert "bob coffee" not in body and "bob account" not in body
