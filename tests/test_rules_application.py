"""Rules on arriving rows (import and its preview, Teller sync, API) and on stored rows (apply to existing)."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.importers import services
from dashboard.ledger import verify_totals
from dashboard.models import AuditEvent, Category, CategoryMapping, Transaction
from dashboard.rules.application import apply_preview, apply_rules
from dashboard.rules.services import export_rules, import_rules
from dashboard.teller.sync import sync_enrollment
from tests import factories
from tests.teller_fixtures import api_url, app_config, bank  # noqa: F401  (fixtures)
from tests.test_teller_sync import TODAY, _client, enrollment  # noqa: F401  (fixture)

COFFEE = {"name": "Coffee shops", "match": "all", "stop": True,
          "conditions": [{"field": "description", "op": "contains", "value": "coffee"},
                         {"field": "amount", "op": "between", "value": ["-20", "0"]}],
          "actions": [{"action": "set_category", "value": "Eating out"}]}
SKIP_TRANSFERS = {"name": "Own transfers", "conditions": [{"field": "description", "op": "starts_with",
                                                           "value": "transfer"}], "actions": [{"action": "skip"}]}
CSV = (b"Date,Description,Amount,Category\n"
       b"2024-03-01,COSTA COFFEE 123,-3.40,Food and drink\n"
       b"2024-03-02,Transfer to savings,-100.00,\n"
       b"2024-03-03,Tesco Metro,-12.00,Groceries\n")


def _rules(db, user, *rules):
    import_rules(db.session, Scope.of_user(user.id), Actor(user.id), json.dumps(list(rules)))


def _stored(db, account):
    return db.session.execute(select(Transaction.description, Transaction.category).where(
        Transaction.account_id == account.id).order_by(Transaction.date)).all()


def test_import_runs_the_rules_and_the_preview_shows_what_will_be_stored(db, user):
    account = factories.create_account(db.session, user)
    _rules(db, user, COFFEE, SKIP_TRANSFERS)
    scope = Scope.of_user(user.id)
    preview, _ = services.preview_file(db.session, scope, account, CSV, "march.csv")
    assert [(r.description, r.category, r.skipped) for r in preview.rows] == [
        ("COSTA COFFEE 123", "Eating out", False), ("Transfer to savings", None, True),
        ("Tesco Metro", "Groceries", False)]
    assert (preview.read, preview.new, preview.skipped, preview.duplicates) == (3, 2, 1, 0)
    batch = services.import_file(db.session, scope, Actor(user.id), CSV, "march.csv", account=account)
    assert (batch.rows_read, batch.rows_inserted, batch.rows_duplicate) == (3, 2, 0)
    assert _stored(db, account) == [("COSTA COFFEE 123", "Eating out"), ("Tesco Metro", "Groceries")]
    assert verify_totals(db.session) == []
    names = set(db.session.scalars(select(Category.name).where(Category.owner_id == user.id)))
    assert {"Eating out", "Groceries"} <= names


def test_the_file_category_mapping_decides_what_a_source_name_becomes(db, user):
    account = factories.create_account(db.session, user)
    scope = Scope.of_user(user.id)
    services.import_file(db.session, scope, Actor(user.id), CSV, "march.csv", account=account)
    mapping = db.session.scalar(select(CategoryMapping).where(CategoryMapping.source_name == "Food and drink"))
    eating_out = db.session.scalar(select(Category).where(Category.owner_id == user.id, Category.name == "Eating out"))
    assert mapping.category.name == "Food and drink"  # first seen: a category of its own name
    mapping.category_id = eating_out.id
    later = CSV.replace(b"2024-03-01,COSTA", b"2024-04-01,COSTA")
    services.import_file(db.session, scope, Actor(user.id), later, "april.csv", account=account)
    assert db.session.scalar(select(Transaction.category).where(Transaction.date == date(2024, 4, 1))) == "Eating out"


def test_apply_to_existing_shows_the_rows_first_then_changes_them(db, user):
    account = factories.create_account(db.session, user, name="Current")
    factories.add_transactions(db.session, account, [("2024-01-01", "-3.50", "Café Coffee Co"),
                                                     ("2024-01-02", "-2.80", "coffee", "Eating out"),
                                                     ("2024-01-03", "-50", "Coffee machine")])
    _rules(db, user, COFFEE)
    scope = Scope.of_user(user.id)
    preview = apply_preview(db.session, scope)
    assert (preview.matched, preview.changed) == (2, 1)
    assert [(c.description, c.changes) for c in preview.changes] == [
        ("Café Coffee Co", {"category": (None, "Eating out")})]
    assert _stored(db, account)[0] == ("Café Coffee Co", None)  # the preview changed nothing
    result = apply_rules(db.session, scope, Actor(user.id))
    assert (result.matched, result.changed) == (2, 1)
    assert _stored(db, account)[0] == ("Café Coffee Co", "Eating out")
    assert verify_totals(db.session) == []
    assert apply_preview(db.session, scope).changed == 0
    assert db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "rule.apply"))["changed"] == 1


def test_apply_never_touches_another_users_rows(db, user):
    bob = factories.create_user(db.session, "bob@example.com")
    theirs = factories.create_account(db.session, bob)
    factories.add_transactions(db.session, theirs, [("2024-01-01", "-3", "coffee")])
    _rules(db, user, COFFEE)
    assert apply_rules(db.session, Scope.of_user(user.id), Actor(user.id)).matched == 0
    assert _stored(db, theirs) == [("coffee", None)]


def test_export_gives_back_what_import_read_in_order(db, user):
    _rules(db, user, COFFEE, SKIP_TRANSFERS)
    exported = json.loads(export_rules(db.session, Scope.of_user(user.id)))
    assert [r["name"] for r in exported] == ["Coffee shops", "Own transfers"]
    assert exported[0] == COFFEE
    assert exported[1]["stop"] is True and exported[1]["match"] == "all"


def test_teller_sync_maps_bank_categories_and_runs_the_rules(db, user, enrollment, api_url):  # noqa: F811
    _rules(db, user, {"name": "Cafe", "conditions": [{"field": "counterparty", "op": "equals",
                                                      "value": "corner cafe"}],
                      "actions": [{"action": "set_category", "value": "Coffee"},
                                  {"action": "append_note", "value": "from a rule"}]})
    db.session.commit()
    result = sync_enrollment(db.session, enrollment, _client(api_url), Actor.system(), today=TODAY)
    assert not result.failed
    cafe = db.session.scalar(select(Transaction).where(Transaction.external_id == "txn_1"))
    assert (cafe.category, cafe.note) == ("Coffee", "from a rule")
    assert db.session.scalar(select(CategoryMapping.source_name).where(CategoryMapping.source == "teller"))
    again = sync_enrollment(db.session, enrollment, _client(api_url), Actor.system(), today=TODAY)
    assert sum(a.updated for a in again.accounts) == 0  # the rule's category is not fought over on each sync
    assert verify_totals(db.session) == []


def test_api_writes_run_the_rules_but_what_the_caller_sent_wins(db, user):
    from dashboard.accounts.edits import add_transaction
    from dashboard.models.accounts import TransactionSource

    account = factories.create_account(db.session, user)
    _rules(db, user, COFFEE)
    scope = Scope.of_user(user.id)
    ruled = add_transaction(db.session, scope, Actor(user.id), account,
                            {"date": date(2024, 5, 1), "amount": Decimal("-3"), "description": "Coffee"},
                            source=TransactionSource.API)
    sent = add_transaction(db.session, scope, Actor(user.id), account,
                           {"date": date(2024, 5, 1), "amount": Decimal("-3"), "description": "Coffee",
                            "category": "Work"}, source=TransactionSource.API)
    by_hand = add_transaction(db.session, scope, Actor(user.id), account,
                              {"date": date(2024, 5, 1), "amount": Decimal("-3"), "description": "Coffee"})
    assert (ruled.category, sent.category, by_hand.category) == ("Eating out", "Work", None)


def test_api_post_and_patch_run_the_rules_and_what_the_request_sets_wins(client, db, user):
    from dashboard.api.tokens import create_token

    headers = {"Authorization": f"Bearer {create_token(db.session, Actor.system(), user, 'script').secret}"}
    account = factories.create_account(db.session, user, "Current", currency="GBP")
    _rules(db, user, COFFEE, {"name": "Rent", "conditions": [{"field": "description", "op": "contains",
                                                              "value": "rent"}],
                              "actions": [{"action": "set_category", "value": "Housing"},
                                          {"action": "set_counterparty", "value": "Landlord"}]})
    created = client.post(f"/api/v1/accounts/{account.id}/transactions", headers=headers,
                          json={"date": "2024-05-01", "description": "Window cleaner", "amount": "-15.00"})
    assert created.status_code == 201 and created.json["category"] is None
    row = f"/api/v1/transactions/{created.json['id']}"

    renamed = client.patch(row, json={"description": "Coffee with Sam"}, headers=headers)
    assert renamed.status_code == 200 and renamed.json["category"] == "Eating out"

    too_dear = client.patch(row, json={"amount": "-45.00"}, headers=headers)  # outside the coffee rule's -20..0
    assert too_dear.json["category"] == "Eating out"  # a rule that no longer matches clears nothing

    sent = client.patch(row, json={"description": "March rent", "counterparty": "Mrs Jones"}, headers=headers)
    assert (sent.json["category"], sent.json["counterparty"]) == ("Housing", "Mrs Jones")  # the request's wins

    chosen = client.patch(row, json={"description": "Rent top-up", "category": "Gifts"}, headers=headers)
    assert (chosen.json["category"], chosen.json["counterparty"]) == ("Gifts", "Landlord")

    noted = client.patch(row, json={"note": "paid late"}, headers=headers)  # rules read no note: nothing re-runs
    assert (noted.json["category"], noted.json["note"]) == ("Gifts", "paid late")
    assert verify_totals(db.session) == []
