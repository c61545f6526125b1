"""Another user's ids answer 404 on every route and every verb, and nothing of theirs changes.

The test walks ``app.url_map``, so routes added later are covered without
touching this file. A route with an id argument this test does not know
fails loudly: add the argument to ``ID_ARGUMENTS``.
"""

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboard.api.tokens import create_token
from dashboard.audit import Actor
from dashboard.access import Scope
from dashboard.auth.sessions import start_session
from dashboard.categories.bulk import categorise_rows
from dashboard.categories.services import categories_of
from dashboard.models import (
    Account, AccountShare, ApiToken, Category, CategoryMapping, ImportBatch, MonthlyTotal, Passkey, Rule,
    Transaction, UserSession,
)
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
    "session_id": "session",
    "passkey_id": "passkey",
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
    start_session(db.session, user, "pytest", "192.0.2.1", timedelta(days=1))
    session_id = db.session.scalar(select(UserSession.id).where(UserSession.user_id == user.id)
                                   .order_by(UserSession.id.desc()))
    scope = Scope.of_user(user.id)
    rule = create_rule(db.session, scope, Actor(user.id), rule_from_json({
        "name": f"{prefix} rule", "conditions": [{"field": "description", "op": "contains", "value": "coffee"}],
        "actions": [{"action": "set_category", "value": "Eating out"}]}))
    mapping = CategoryMapping(owner_id=user.id, source="file", source_name=f"{prefix} food",
                              category_id=categories_of(db.session, scope)[0].id)
    db.session.add(mapping)
    bulk = categorise_rows(db.session, scope, Actor(user.id), "Coffee", ids=[transaction_id])
    passkey = Passkey(user_id=user.id, credential_id=f"{prefix} credential".encode(), public_key=b"\xa5",
                      name=f"{prefix} passkey")
    db.session.add(passkey)
    db.session.commit()
    return {"account": account.id, "transaction": transaction_id, "batch": batch.id, "user": user.id,
            "token": token.id, "category": mapping.category_id, "mapping": mapping.id, "rule": rule.id,
            "bulk_change": bulk.event_id, "session": session_id,
            "passkey": passkey.id}


def _snapshot(db, owner_id: int) -> list:
    """Everything of the owner's that a route could change."""
    db.session.expire_all()
    state = []
    for model in (Account, Transaction, ImportBatch, MonthlyTotal, ApiToken, Category, CategoryMapping, Rule,
                  UserSession, AccountShare, Passkey):
        table = model.__table__
        owner = table.c.user_id if model in (UserSession, Passkey) else table.c.owner_id
        rows = db.session.execute(select(table).where(owner == owner_id).order_by(table.c.id)).all()
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


# --- Shares: the owner, a read-write sharee, a read-only sharee and a stranger, on every route ---------------------

SHARED_ARGUMENTS = {"account_id", "transaction_id", "batch_id"}  # ids that name rows of a shared account
# Pages that only show a form which changes the account's rows: a read-only share may not even open them.
WRITE_PAGES = {"accounts.import_file", "accounts.add_transaction_page", "accounts.undo_import"}
# Changes to the account itself: only the owner, never a sharee, even a read-write one.
MANAGE_ENDPOINTS = {"accounts.edit_account", "accounts.close_account", "accounts.reopen_account",
                    "accounts.remove_account", "accounts.share", "accounts.unshare"}
# Bodies the API accepts, so that its answer comes from the share and not from a refused body.
API_TRANSACTION = {"date": "2024-01-02", "description": "Tea", "amount": "-2.00", "category": "hacked", "note": "x"}
API_IMPORT_FILE = b"Date,Description,Amount\n2024-01-02,Tea,-2.00\n"
REFUSED = {403, 404}


class _SharedWorld:
    """Alice's account with a transaction and a batch, shared read-write with Rita and read-only with Rory.

    A route that deletes a row (the owner's or Rita's delete) is followed by :meth:`restore`, so the next route
    still names rows that exist.
    """

    def __init__(self, app, db):
        self.app, self.db = app, db
        self.owner = factories.create_user(db.session, "alice@example.com")
        self.writer = factories.create_user(db.session, "rita@example.com")
        self.reader = factories.create_user(db.session, "rory@example.com")
        self.stranger = factories.create_user(db.session, "bob@example.com")
        self.generation, self.ids = 0, None
        self.restore()
        self.clients = {}
        for kind, person in (("owner", self.owner), ("writer", self.writer), ("reader", self.reader),
                             ("stranger", self.stranger)):
            client = app.test_client()
            db.session.commit()
            with app.app_context():
                factories.log_in(client, person.email)
            secret = create_token(db.session, Actor.system(), person, f"{kind} api").secret
            self.clients[kind] = (client, {"Authorization": f"Bearer {secret}"})

    def restore(self) -> None:
        """Fresh rows (and shares) when a route removed the ones the walk names."""
        named = ((Account, "account"), (Transaction, "transaction"), (ImportBatch, "batch"))
        if self.ids and all(self.db.session.get(model, self.ids[name]) for model, name in named):
            return
        self.generation += 1
        self.ids = _owned_objects(self.db, self.owner, f"alice{self.generation}")
        self.db.session.add_all([
            AccountShare(account_id=self.ids["account"], owner_id=self.owner.id, user_id=self.writer.id,
                         can_write=True),
            AccountShare(account_id=self.ids["account"], owner_id=self.owner.id, user_id=self.reader.id,
                         can_write=False)])
        self.db.session.commit()

    def request(self, kind: str, rule, method: str) -> tuple[str, int]:
        ids = [name for name in rule.arguments if name in ID_ARGUMENTS]
        values = {name: PLACEHOLDER for name in rule.arguments if name not in ids}
        values.update({name: self.ids[ID_ARGUMENTS[name]] for name in ids})
        path = rule.build(values, append_unknown=False)[1]
        if rule.endpoint == "api.create_import":
            response = self.open(kind, path, method=method, content_type="multipart/form-data",
                                 data={"file": (io.BytesIO(API_IMPORT_FILE), "tea.csv")})
        elif rule.endpoint.startswith("api."):
            response = self.open(kind, path, method=method, json=API_TRANSACTION)
        else:
            response = self.open(kind, path, method=method, data={"category": "hacked", "note": "x"})
        return path, response.status_code

    def open(self, kind: str, path: str, **kwargs):
        """One request of ``kind``'s browser (or, under /api/, with their token) in its own app context, as in a
        server: the tests' shared context would keep one user's ``g`` for the next."""
        client, headers = self.clients[kind]
        self.db.session.commit()
        with self.app.app_context():
            return client.open(path, headers=headers if path.startswith("/api/") else None, **kwargs)


def _expected_for_share(kind: str, rule, method: str) -> str:
    """What ``kind`` must get: "403", "404" or "allowed" (anything but 403 and 404)."""
    if kind == "stranger":
        return "404"
    if kind == "owner":
        return "allowed"
    reads = method in {"GET", "HEAD"}
    if rule.endpoint in MANAGE_ENDPOINTS:
        return "403"
    if kind == "reader" and (not reads or rule.endpoint in WRITE_PAGES):
        return "403"
    return "allowed"


def _shared_rules(app):
    """The routes whose ids all name rows of an account (so a share can open them), the admin pages left out."""
    return [(rule, ids) for rule, ids in _id_rules(app)
            if set(ids) <= SHARED_ARGUMENTS and not rule.endpoint.startswith("admin.")]


def test_every_shared_route_answers_each_kind_of_access_as_its_share_allows(app, db):
    world = _SharedWorld(app, db)
    failures, covered = [], set()
    for kind in ("stranger", "reader", "writer", "owner"):  # the ones that must change nothing go first
        before = _snapshot(db, world.owner.id)
        for rule, _ids in _shared_rules(app):
            for method in sorted(rule.methods - SKIPPED_METHODS):
                path, status = world.request(kind, rule, method)
                expected = _expected_for_share(kind, rule, method)
                covered.add((kind, rule.endpoint))
                if (expected == "allowed" and status in REFUSED) or (expected != "allowed" and status != int(expected)):
                    failures.append(f"{kind}: {method} {path} ({rule.endpoint}) answered {status}, expected {expected}")
                if kind in ("writer", "owner"):
                    world.restore()
        if kind in ("stranger", "reader"):
            assert _snapshot(db, world.owner.id) == before, f"the {kind} changed the owner's rows"
    assert not failures, "\n".join(failures)
    assert {("reader", "accounts.account"), ("writer", "accounts.transaction"), ("reader", "api.account")} <= covered


def test_a_read_only_sharee_can_change_nothing_and_a_revoked_share_is_gone_on_the_next_request(app, db):
    world = _SharedWorld(app, db)
    transaction, account = world.ids["transaction"], world.ids["account"]
    before = _snapshot(db, world.owner.id)
    assert world.open("reader", f"/transactions/{transaction}", method="POST",
                      data={"category": "hacked"}).status_code == 403
    assert world.open("reader", "/transactions/categorise", method="POST",
                      data={"ids": [str(transaction)], "category": "x"}).status_code == 403
    assert world.open("reader", f"/api/v1/transactions/{transaction}", method="PATCH",
                      json={"category": "x"}).status_code == 403
    assert _snapshot(db, world.owner.id) == before
    assert world.open("reader", f"/accounts/{account}", method="GET").status_code == 200
    assert world.open("owner", f"/accounts/{account}/shares/remove", method="POST",
                      data={"email": world.reader.email}).status_code == 302
    assert world.open("reader", f"/accounts/{account}", method="GET").status_code == 404
    assert world.open("reader", f"/api/v1/accounts/{account}", method="GET").status_code == 404
    assert "alice1 coffee" not in world.open("reader", "/transactions", method="GET").get_data(as_text=True)
    assert world.open("writer", f"/accounts/{account}", method="GET").status_code == 200


@pytest.mark.parametrize("url", ["/", "/transactions", "/transactions/export.csv", "/reports/balances",
                                 "/reports/income-and-expenses?period=custom&start=2024-01&end=2024-01",
                                 "/api/v1/accounts", "/api/v1/transactions"])
def test_sharees_see_the_shared_account_marked_with_its_owner(app, db, url):
    world = _SharedWorld(app, db)
    for kind in ("reader", "writer"):
        body = world.open(kind, url, method="GET").get_data(as_text=True)
        if url.startswith("/reports/income-and-expenses"):
            assert "alice1 account" in body and "£5.00" in body, (kind, url)
        elif url == "/api/v1/transactions":
            assert "alice1 coffee" in body, (kind, url)
        elif url == "/transactions/export.csv":
            assert "alice1 coffee" in body and "alice@example.com" in body
        else:
            assert "alice@example.com" in body, (kind, url)
    seen_by_stranger = world.open("stranger", url, method="GET").get_data(as_text=True)
    assert "alice" not in seen_by_stranger and "£5.00" not in seen_by_stranger
