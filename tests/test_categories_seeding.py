"""A user's category list starts from the default set and the categories already in use."""
from sqlalchemy import select

from dashboard.categories.seeding import DEFAULT_CATEGORIES, seed_categories
from dashboard.models import Category
from tests import factories


def _labels(db, owner_id):
    return {c.label for c in db.session.scalars(select(Category).where(Category.owner_id == owner_id))}


def test_seeding_gives_defaults_with_parents_and_the_categories_in_use(db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-02", "-3.50", "Coffee", "Coffee shops"),
                                                     ("2024-01-03", "-40", "Tesco", "Groceries")])
    seed_categories(db.session, user.id)
    labels = _labels(db, user.id)
    assert "Food › Groceries" in labels
    assert "Coffee shops" in labels
    assert "Groceries" not in labels  # already in the default set, under Food
    assert len(labels) == sum(1 + len(children) for children in DEFAULT_CATEGORIES.values()) + 1


def test_seeding_twice_adds_nothing_and_keeps_each_owner_apart(db, user):
    other = factories.create_user(db.session, "bob@example.com")
    assert seed_categories(db.session, user.id) > 0
    assert seed_categories(db.session, user.id) == 0
    assert _labels(db, other.id) == set()
