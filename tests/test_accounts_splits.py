"""Splits: parts that sum exactly to the transaction, totalled, reported and exported part by part."""
import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dashboard.access import Scope
from dashboard.accounts.edits import (
    TransactionError,
    add_transaction,
    delete_transaction,
    restore_transaction,
    update_transaction,
)
from dashboard.accounts.splits import Part, split_transaction, transaction_splits
from dashboard.api.tokens import create_token
from dashboard.audit import Actor
from dashboard.ledger import verify_totals
from dashboard.models import AuditEvent, MonthlyTotal, Transaction, TransactionSplit
from dashboard.reports.periods import Period
from dashboard.reports.queries import spending_by_category
from tests import factories


def _shopping(db, user, amount="-100.00"):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2025-03-05", amount, "Supermarket", "Groceries")])
    return account, db.session.scalar(select(Transaction).where(Transaction.account_id == account.id))


def _spending(db, user):
    report = spending_by_category(db.session, Scope.of_user(user.id), Period(date(2025, 3, 1), date(2025, 3, 1)))
    return {c.category: c.spent for c in report[0].categories}


def test_parts_are_totalled_and_reported_under_their_categories(db, user):
    _account, row = _shopping(db, user)
    split_transaction(db.session, Scope.of_user(user.id), Actor(user.id), row,
                      [Part(Decimal("-70.00"), "Groceries"), Part(Decimal("-30.00"), "Household", "bin bags")])
    assert verify_totals(db.session) == []
    assert _spending(db, user) == {"Groceries": Decimal("70.00"), "Household": Decimal("30.00")}
    assert db.session.scalar(select(func.sum(MonthlyTotal.transactions))) == 1  # still one transaction
    assert [p.note for p in transaction_splits(db.session, row)] == [None, "bin bags"]
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "transaction.split"


def test_making_it_whole_again_restores_the_category(db, user):
    _account, row = _shopping(db, user)
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    split_transaction(db.session, scope, actor, row, [Part(Decimal("-99.99"), "Fuel"), Part(Decimal("-0.01"), None)])
    split_transaction(db.session, scope, actor, row, [])
    assert verify_totals(db.session) == []
    assert _spending(db, user) == {"Groceries": Decimal("100.00")}


@pytest.mark.parametrize("parts, reason", [
    ([Part(Decimal("-70")), Part(Decimal("-20"))], "sum to -90"),
    ([Part(Decimal("-100"))], "at least two parts"),
    ([Part(Decimal("-100")), Part(Decimal("0"))], "needs an amount"),
])
def test_parts_that_do_not_make_up_the_amount_are_refused(db, user, parts, reason):
    _account, row = _shopping(db, user)
    with pytest.raises(TransactionError, match=reason):
        split_transaction(db.session, Scope.of_user(user.id), Actor(user.id), row, parts)
    assert db.session.scalar(select(func.count()).select_from(TransactionSplit)) == 0
    assert _spending(db, user) == {"Groceries": Decimal("100.00")}


def test_deleting_a_split_transaction_removes_its_parts_from_the_totals(db, user):
    account = factories.create_account(db.session, user)
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    row = add_transaction(db.session, scope, actor, account, {"date": date(2025, 3, 2), "amount": "-50",
                                                             "description": "Market"})
    split_transaction(db.session, scope, actor, row, [Part(Decimal("-20"), "Food"), Part(Decimal("-30"), "Gifts")])
    with pytest.raises(TransactionError, match="split"):
        update_transaction(db.session, scope, actor, row, {"amount": "-60"})
    deletion = delete_transaction(db.session, scope, actor, row)
    assert verify_totals(db.session) == []
    assert db.session.scalar(select(func.count()).select_from(MonthlyTotal)) == 0
    assert db.session.scalar(select(func.count()).select_from(TransactionSplit)) == 0
    restored = restore_transaction(db.session, scope, actor, deletion.id)  # the undo brings the parts back
    assert [(p.amount, p.category) for p in transaction_splits(db.session, restored)] == [
        (Decimal("-20.00"), "Food"), (Decimal("-30.00"), "Gifts")]
    assert verify_totals(db.session) == []


def test_the_export_writes_one_line_per_part_and_still_sums_to_the_balance(auth_client, db, user):
    account, row = _shopping(db, user)
    factories.add_transactions(db.session, account, [("2025-03-06", "2500", "Salary", "Income")])
    split_transaction(db.session, Scope.of_user(user.id), Actor(user.id), row,
                      [Part(Decimal("-60.25"), "Groceries"), Part(Decimal("-39.75"), "Household")])
    response = auth_client.get(f"/accounts/{account.id}/export.csv")
    lines = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(line["amount"], line["category"], line["external_id"]) for line in lines] == [
        ("2500.00", "Income", f"test-{account.id}-0-Salary"),
        ("-60.25", "Groceries", f"{row.external_id}#1"),
        ("-39.75", "Household", f"{row.external_id}#2"),
    ]
    assert sum(Decimal(line["amount"]) for line in lines) == Decimal("2400.00")


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_the_split_page_saves_parts_and_refuses_a_remainder(app, auth_client, db, user):
    _account, row = _shopping(db, user)
    page = auth_client.get(f"/transactions/{row.id}/split")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="split-remaining"' in text and "js/splits.js" in text
    assert 'value="-100.00"' in text  # the first part starts as the whole amount
    refused = auth_client.post(f"/transactions/{row.id}/split", data={
        "parts-0-amount": "-70", "parts-0-category": "Groceries", "parts-1-amount": "-20", "parts-1-category": "Fun"})
    assert refused.status_code == 400 and "sum to -90" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TransactionSplit)) == 0
    saved = auth_client.post(f"/transactions/{row.id}/split", data={
        "parts-0-amount": "-70", "parts-0-category": "Groceries", "parts-1-amount": "-30", "parts-1-category": "Fun",
        "parts-2-amount": "", "parts-2-category": ""})
    assert saved.status_code == 302
    assert _spending(db, user) == {"Groceries": Decimal("70.00"), "Fun": Decimal("30.00")}
    shown = auth_client.get(f"/transactions/{row.id}").get_data(as_text=True)
    assert 'id="transaction-splits"' in shown and "Fun" in shown and "Edit the split" in shown


def test_a_category_without_an_amount_is_refused(auth_client, db, user):
    _account, row = _shopping(db, user)
    response = auth_client.post(f"/transactions/{row.id}/split", data={
        "parts-0-amount": "-100", "parts-1-category": "Fun"})
    assert response.status_code == 400 and "Give this part an amount" in response.get_data(as_text=True)


def test_another_users_transaction_cannot_be_split(auth_client, db):
    other = factories.create_user(db.session, "mallory@example.com")
    _account, row = _shopping(db, other)
    assert auth_client.get(f"/transactions/{row.id}/split").status_code == 404
    assert auth_client.post(f"/transactions/{row.id}/split", data={"parts-0-amount": "-50",
                                                                 "parts-1-amount": "-50"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(TransactionSplit)) == 0


def test_the_api_shows_the_parts(app, client, db, user):
    _account, row = _shopping(db, user)
    split_transaction(db.session, Scope.of_user(user.id), Actor(user.id), row,
                      [Part(Decimal("-70.00"), "Groceries"), Part(Decimal("-30.00"), "Household", "bin bags")])
    token = create_token(db.session, Actor.system(), user, "reader").secret
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/transactions", headers=headers).get_json()["data"][0]
    one = client.get(f"/api/v1/transactions/{row.id}", headers=headers).get_json()
    assert listed["splits"] == one["splits"] == [
        {"position": 1, "amount": "-70.00", "category": "Groceries", "note": None},
        {"position": 2, "amount": "-30.00", "category": "Household", "note": "bin bags"}]


def _summary(page: str) -> str:
    """The filtered view's count and totals line as a user reads it."""
    summary = re.search(r'id="result-summary"[^>]*>(.*?)</div>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", "", summary).split())


def _split_shop(db, user):
    """A 100.00 shop split 60.25 Groceries + 39.75 Household (the row itself says Groceries), a 20.00 grocer."""
    account, row = _shopping(db, user)
    factories.add_transactions(db.session, account, [("2025-03-07", "-20.00", "Grocer", "Groceries")])
    split_transaction(db.session, Scope.of_user(user.id), Actor(user.id), row,
                      [Part(Decimal("-60.25"), "Groceries"), Part(Decimal("-39.75"), "Household")])
    return account, row


def test_the_category_filter_finds_a_split_row_by_its_parts_and_totals_only_those_parts(auth_client, db, user):
    account, row = _split_shop(db, user)
    groceries = auth_client.get(f"/accounts/{account.id}?category=Groceries").get_data(as_text=True)
    assert "Supermarket" in groceries and "Grocer" in groceries
    assert "2 transactions match · GBP: in £0.00, out -£80.25" in _summary(groceries)  # the part, not the 100
    shown = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Supermarket.*?</tr>", groceries, re.S).group(0)
    assert re.search(r">split</span>\s*Groceries.*-£60\.25.*Household.*-£39\.75", shown, re.S)  # why it is listed
    household = auth_client.get(f"/accounts/{account.id}?category=Household").get_data(as_text=True)
    assert "Supermarket" in household and "Grocer<" not in household
    assert "1 transaction matches · GBP: in £0.00, out -£39.75" in _summary(household)
    lines = list(csv.DictReader(io.StringIO(auth_client.get(
        f"/accounts/{account.id}/export.csv?category=Household").get_data(as_text=True))))
    assert [(line["amount"], line["category"]) for line in lines] == [("-39.75", "Household")]
    api = auth_client.application.test_client()
    secret = create_token(db.session, Actor.system(), user, "script").secret
    found = api.get("/api/v1/transactions?category=Household", headers={"Authorization": f"Bearer {secret}"}).json
    assert [t["id"] for t in found["data"]] == [row.id]


def test_an_uncategorised_part_is_found_under_uncategorised(auth_client, db, user):
    account, row = _shopping(db, user)
    split_transaction(db.session, Scope.of_user(user.id), Actor(user.id), row,
                      [Part(Decimal("-70"), "Groceries"), Part(Decimal("-30"), None)])
    page = auth_client.get(f"/accounts/{account.id}?category=-").get_data(as_text=True)
    assert "Supermarket" in page and "1 transaction matches · GBP: in £0.00, out -£30.00" in _summary(page)


def test_bulk_categorise_leaves_split_rows_as_they_are_and_says_so(auth_client, db, user):
    account, row = _split_shop(db, user)
    response = auth_client.post(f"/transactions/categorise?account={account.id}&category=Groceries",
                                data={"every_row": "1", "category": "Food", "next": f"/accounts/{account.id}"},
                                follow_redirects=True)
    assert ("Set the category of 1 transaction to Food; left 1 transaction split across categories as it is"
            in response.get_data(as_text=True))
    db.session.expire_all()
    assert [(p.amount, p.category) for p in transaction_splits(db.session, row)] == [
        (Decimal("-60.25"), "Groceries"), (Decimal("-39.75"), "Household")]
    assert _spending(db, user) == {"Food": Decimal("20.00"), "Groceries": Decimal("60.25"),
                                   "Household": Decimal("39.75")}
    only_split = auth_client.post("/transactions/categorise", data={"ids": [str(row.id)], "category": "Food"},
                                  follow_redirects=True).get_data(as_text=True)
    assert "Nothing changed; left 1 transaction split across categories as it is" in only_split
    assert verify_totals(db.session) == []


def test_applying_rules_to_existing_rows_keeps_a_split_rows_parts(auth_client, runner, db, user):
    from dashboard.rules.application import apply_rules
    from dashboard.rules.services import import_rules

    account, row = _split_shop(db, user)
    scope = Scope.of_user(user.id)
    import_rules(db.session, scope, Actor(user.id), '[{"name": "Shops", "conditions": [{"field": "description", '
                 '"op": "contains", "value": "super"}], "actions": [{"action": "set_category", "value": "Food"}, '
                 '{"action": "set_counterparty", "value": "Big Shop"}]}]')
    preview = auth_client.get("/rules/apply").get_data(as_text=True)
    assert "1 split transaction keeps the categories of its parts" in preview
    dry_run = runner.invoke(args=["rules", "apply", "--user", user.email, "--dry-run"])
    assert dry_run.output.splitlines()[-2:] == ["matched 1, changed 1 (dry run: nothing was changed)",
                                                "split transactions that keep their parts' categories: 1"]
    result = apply_rules(db.session, scope, Actor(user.id))
    assert (result.matched, result.changed, result.split_kept) == (1, 1, 1)
    db.session.expire_all()
    assert db.session.get(Transaction, row.id).counterparty == "Big Shop"  # what is not a category still changes
    assert [p.category for p in transaction_splits(db.session, row)] == ["Groceries", "Household"]
    assert _spending(db, user) == {"Groceries": Decimal("80.25"), "Household": Decimal("39.75")}
    assert verify_totals(db.session) == []
