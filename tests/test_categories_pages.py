"""The category pages: the list with parents, add, rename, merge, the source mapping, bulk categorise and undo."""
from __future__ import annotations

import re

from sqlalchemy import select

from dashboard.ledger import verify_totals
from dashboard.models import Category, CategoryMapping, Transaction
from tests import factories


def _category(db, user, name):
    db.session.expire_all()
    return db.session.scalar(select(Category).where(Category.owner_id == user.id, Category.name == name))


def test_list_shows_parents_and_adds_a_child(auth_client, db, user):
    page = auth_client.get("/categories").get_data(as_text=True)
    assert "Food › Groceries" in page
    food = _category(db, user, "Food")
    response = auth_client.post("/categories", data={"name": "Takeaway", "parent": str(food.id)},
                                follow_redirects=True)
    assert "Food › Takeaway" in response.get_data(as_text=True)
    again = auth_client.post("/categories", data={"name": "takeaway", "parent": ""})
    assert "already have a category" in again.get_data(as_text=True)


def test_rename_and_merge_from_the_pages(auth_client, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-01", "-5", "Pret", "Lunch")])
    listing = auth_client.get("/categories").get_data(as_text=True)
    assert re.search(r">Lunch</a></td>\s*<td class=\"text-end\">1</td>", listing)
    lunch = _category(db, user, "Lunch")
    response = auth_client.post(f"/categories/{lunch.id}", data={"name": "Lunches", "parent": ""},
                                follow_redirects=True)
    assert "1 transaction renamed" in response.get_data(as_text=True)
    eating_out = _category(db, user, "Eating out")
    response = auth_client.post(f"/categories/{lunch.id}/merge", data={"into": str(eating_out.id)},
                                follow_redirects=True)
    assert "Merged Lunches into Food › Eating out: 1 transaction moved." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Transaction.category)) == "Eating out"
    assert verify_totals(db.session) == []


def test_mapping_page_points_a_source_name_at_another_category(auth_client, db, user):
    account = factories.create_account(db.session, user)
    upload = auth_client.post(f"/accounts/{account.id}/import", content_type="multipart/form-data", data={
        "file": (__import__("io").BytesIO(b"Date,Description,Amount,Category\n2024-01-02,Tea,-2.00,Drinks\n"),
                 "a.csv"), "format": "auto"})
    assert upload.status_code == 200
    from tests.test_accounts_import import confirm_from
    confirm_from(auth_client, account, upload.get_data(as_text=True))
    page = auth_client.get("/categories/mapping").get_data(as_text=True)
    assert "Drinks" in page
    mapping = db.session.scalar(select(CategoryMapping))
    eating_out = _category(db, user, "Eating out")
    auth_client.post(f"/categories/mapping/{mapping.id}", data={"category": str(eating_out.id)})
    db.session.expire_all()
    assert db.session.scalar(select(CategoryMapping)).category_id == eating_out.id


def test_bulk_on_every_row_of_the_filter_says_what_it_did_and_undoes(auth_client, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [(f"2024-01-{day:02d}", "-5", f"Coffee {day}", "Old")
                                                     for day in range(1, 31)] + [("2024-02-01", "9", "Refund", "Old")])
    url = f"/transactions/categorise?account={account.id}&q=coffee"
    response = auth_client.post(url, data={"every_row": "1", "category": "", "next": f"/accounts/{account.id}"},
                                follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "Cleared the category of 30 transactions." in body  # every row of the filter, not one page's 25
    db.session.expire_all()
    assert db.session.scalar(select(Transaction.category).where(Transaction.description == "Refund")) == "Old"
    assert verify_totals(db.session) == []
    action = re.search(r'action="([^"]+)"\s+id="bulk-undo"', body).group(1)
    undone = auth_client.post(action, data={"next": f"/accounts/{account.id}"}, follow_redirects=True)
    assert "Undone: 30 transactions back to their previous category." in undone.get_data(as_text=True)
    db.session.expire_all()
    assert set(db.session.scalars(select(Transaction.category))) == {"Old"}


def test_bulk_with_one_row_chosen_and_an_empty_category(auth_client, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-01", "-5", "A", "Old")])
    row = db.session.scalar(select(Transaction))
    response = auth_client.post("/transactions/categorise", data={"ids": [str(row.id)], "category": ""},
                                follow_redirects=True)
    assert "Cleared the category of 1 transaction." in response.get_data(as_text=True)


def test_bulk_every_row_with_another_users_account_is_404(auth_client, db, user):
    bob = factories.create_user(db.session, "bob@example.com")
    theirs = factories.create_account(db.session, bob)
    factories.add_transactions(db.session, theirs, [("2024-01-01", "-5", "A", "Old")])
    response = auth_client.post(f"/transactions/categorise?account={theirs.id}",
                                data={"every_row": "1", "category": "hacked"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(Transaction.category)) == "Old"
