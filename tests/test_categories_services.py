"""Renaming and merging categories moves every row and rule with the totals in step; bulk categorise and its undo."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from dashboard.access import Scope
from dashboard.accounts.transaction_queries import MONEY_OUT, TransactionFilter, filtered_transactions
from dashboard.audit import Actor
from dashboard.categories.bulk import categorise_rows, undo_bulk_category
from dashboard.categories.services import CategoryError, categories_of, create_category, edit_category, \
    merge_categories
from dashboard.ledger import verify_totals
from dashboard.models import Category, MonthlyTotal, Rule, Transaction
from dashboard.rules.services import import_rules
from tests import factories


@pytest.fixture
def ledger(db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [
        ("2024-01-01", "-40", "Tesco", "Supermarket"), ("2024-01-05", "-12", "Lidl", "Supermarket"),
        ("2024-01-09", "-9", "Pret", "Lunch"), ("2024-02-01", "2000", "Salary", "Salary")])
    import_rules(db.session, Scope.of_user(user.id), Actor(user.id), json.dumps([
        {"name": "Tesco", "conditions": [{"field": "description", "op": "contains", "value": "tesco"}],
         "actions": [{"action": "set_category", "value": "Supermarket"}]}]))
    return account


def _rows(scope, **filters):
    return filtered_transactions(scope, TransactionFilter(**filters))


def _named(db, user, name):
    return db.session.scalar(select(Category).where(Category.owner_id == user.id, Category.name == name))


def _categories(db, account):
    return [c for c in db.session.scalars(select(Transaction.category).where(Transaction.account_id == account.id)
                                          .order_by(Transaction.date))]


def test_rename_moves_rows_rules_and_totals_together(db, user, ledger):
    scope = Scope.of_user(user.id)
    categories_of(db.session, scope)
    food = _named(db, user, "Food")
    renamed = edit_category(db.session, scope, Actor(user.id), _named(db, user, "Supermarket").id, "Groceries shop",
                            food.id)
    assert renamed == 2
    assert _categories(db, ledger) == ["Groceries shop", "Groceries shop", "Lunch", "Salary"]
    assert db.session.scalar(select(Rule.actions))[0]["value"] == "Groceries shop"
    assert _named(db, user, "Groceries shop").label == "Food › Groceries shop"
    assert verify_totals(db.session) == []
    assert "Supermarket" not in set(db.session.scalars(select(MonthlyTotal.category)))


def test_rename_onto_an_existing_name_is_refused_and_merge_offered(db, user, ledger):
    scope = Scope.of_user(user.id)
    categories_of(db.session, scope)
    with pytest.raises(CategoryError, match="merge into it"):
        edit_category(db.session, scope, Actor(user.id), _named(db, user, "Lunch").id, "supermarket", None)


def test_merge_folds_rows_rules_and_children_into_the_target(db, user, ledger):
    scope = Scope.of_user(user.id)
    categories_of(db.session, scope)
    supermarket = _named(db, user, "Supermarket")
    moved = merge_categories(db.session, scope, Actor(user.id), supermarket.id, _named(db, user, "Groceries").id)
    assert moved == 2
    assert _categories(db, ledger) == ["Groceries", "Groceries", "Lunch", "Salary"]
    assert db.session.scalar(select(Rule.actions))[0]["value"] == "Groceries"
    assert _named(db, user, "Supermarket") is None
    assert verify_totals(db.session) == []


def test_one_level_of_parents_and_no_foreign_parent(db, user):
    scope = Scope.of_user(user.id)
    categories_of(db.session, scope)
    with pytest.raises(CategoryError, match="top-level parent"):
        create_category(db.session, scope, Actor(user.id), "Organic", _named(db, user, "Groceries").id)
    bob = factories.create_user(db.session, "bob@example.com")
    categories_of(db.session, Scope.of_user(bob.id))
    with pytest.raises(NotFound):
        create_category(db.session, scope, Actor(user.id), "Mine", _named(db, bob, "Food").id)


def test_bulk_on_every_row_of_the_filter_then_undo(db, user, ledger):
    scope = Scope.of_user(user.id)
    result = categorise_rows(db.session, scope, Actor(user.id), "",
                             matching=_rows(scope, account_id=ledger.id, direction=MONEY_OUT))
    assert result.message == "Cleared the category of 3 transactions"
    assert _categories(db, ledger) == [None, None, None, "Salary"]
    assert verify_totals(db.session) == []
    assert undo_bulk_category(db.session, scope, Actor(user.id), result.event_id) == 3
    assert _categories(db, ledger) == ["Supermarket", "Supermarket", "Lunch", "Salary"]
    with pytest.raises(NotFound):  # once only
        undo_bulk_category(db.session, scope, Actor(user.id), result.event_id)


def test_bulk_message_for_one_row_and_for_nothing(db, user, ledger):
    scope = Scope.of_user(user.id)
    result = categorise_rows(db.session, scope, Actor(user.id), None, matching=_rows(scope, query="pret"))
    assert result.message == "Cleared the category of 1 transaction"
    again = categorise_rows(db.session, scope, Actor(user.id), None, matching=_rows(scope, query="pret"))
    assert again.changed == 0 and again.message.startswith("Nothing changed")
    set_one = categorise_rows(db.session, scope, Actor(user.id), "Eating out", matching=_rows(scope, query="pret"))
    assert set_one.message == "Set the category of 1 transaction to Eating out"


def test_another_user_cannot_undo_my_bulk_change(db, user, ledger):
    scope = Scope.of_user(user.id)
    result = categorise_rows(db.session, scope, Actor(user.id), "X",
                             matching=_rows(scope, account_id=ledger.id))
    bob = factories.create_user(db.session, "bob@example.com")
    with pytest.raises(NotFound):
        undo_bulk_category(db.session, Scope.of_user(bob.id), Actor(bob.id), result.event_id)
