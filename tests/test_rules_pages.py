"""The rules pages as a user uses them: the form (and its refusals), order, apply to existing, from a transaction."""
from __future__ import annotations

from sqlalchemy import select

from dashboard.ledger import verify_totals
from dashboard.models import AuditEvent, Rule, Transaction
from tests import factories


def _form(name="Coffee", field="description", op="contains", value="coffee", action="set_category",
          action_value="Eating out", **extra):
    return {"name": name, "match": "all", "stop": "y", "conditions-0-field": field, "conditions-0-op": op,
            "conditions-0-value": value, "actions-0-action": action, "actions-0-value": action_value, **extra}


def _rules(db):
    db.session.expire_all()
    return db.session.scalars(select(Rule).order_by(Rule.position)).all()


def test_create_a_rule_then_apply_it_to_existing_rows_after_seeing_them(auth_client, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-01", "-3.50", "CAFÉ COFFEE"),
                                                     ("2024-01-02", "-30", "Books")])
    response = auth_client.post("/rules/new", data=_form())
    assert response.status_code == 302 and "/rules/apply?rule=" in response.headers["Location"]
    page = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 transaction matches" in page and "1 would change" in page and "CAFÉ COFFEE" in page
    assert "Books" not in page
    db.session.expire_all()
    assert db.session.scalar(select(Transaction.category).where(Transaction.description == "CAFÉ COFFEE")) is None
    applied = auth_client.post(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "matched 1 transaction and changed 1" in applied
    db.session.expire_all()
    assert db.session.scalar(select(Transaction.category).where(Transaction.description == "CAFÉ COFFEE")) \
        == "Eating out"
    assert verify_totals(db.session) == []
    assert {"rule.create", "rule.apply"} <= set(db.session.scalars(select(AuditEvent.action)))


def test_a_bad_regular_expression_is_refused_when_saved(auth_client, db, user):
    response = auth_client.post("/rules/new", data=_form(op="matches", value="(unclosed"))
    assert response.status_code == 200
    assert "is not valid" in response.get_data(as_text=True)
    assert _rules(db) == []


def test_a_rule_without_an_action_is_refused(auth_client, db, user):
    response = auth_client.post("/rules/new", data=_form(action=""))
    assert "at least one action" in response.get_data(as_text=True) and _rules(db) == []


def test_rules_are_listed_in_order_and_move(auth_client, db, user):
    for name in ("First", "Second", "Third"):
        auth_client.post("/rules/new", data=_form(name=name))
    third = _rules(db)[2]
    auth_client.post(f"/rules/{third.id}/move", data={"direction": "up"})
    assert [r.name for r in _rules(db)] == ["First", "Third", "Second"]
    page = auth_client.get("/rules").get_data(as_text=True)
    assert page.index(">First</a>") < page.index(">Third</a>") < page.index(">Second</a>")
    auth_client.post(f"/rules/{third.id}/delete")
    assert [r.name for r in _rules(db)] == ["First", "Second"]


def test_edit_shows_the_rule_and_saves_changes(auth_client, db, user):
    auth_client.post("/rules/new", data=_form())
    rule = _rules(db)[0]
    page = auth_client.get(f"/rules/{rule.id}").get_data(as_text=True)
    assert 'value="coffee"' in page and 'value="Eating out"' in page
    auth_client.post(f"/rules/{rule.id}", data=_form(op="between", field="amount", value="-20",
                                                     **{"conditions-0-value_to": "0"}))
    assert _rules(db)[0].conditions == [{"field": "amount", "op": "between", "value": ["-20", "0"]}]


def test_create_a_rule_from_a_transaction_fills_the_form(auth_client, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-01", "-40", "SAINSBURYS S/MKT 1234", "Groceries")])
    row = db.session.scalar(select(Transaction))
    page = auth_client.get(f"/transactions/{row.id}").get_data(as_text=True)
    assert f"/rules/new?transaction={row.id}" in page and "Create a rule from this transaction" in page
    form = auth_client.get(f"/rules/new?transaction={row.id}").get_data(as_text=True)
    assert 'value="SAINSBURYS S/MKT 1234"' in form and 'value="Groceries"' in form


def test_another_users_transaction_does_not_fill_the_form(auth_client, db, user):
    bob = factories.create_user(db.session, "bob@example.com")
    account = factories.create_account(db.session, bob)
    factories.add_transactions(db.session, account, [("2024-01-01", "-40", "Secret shop")])
    row = db.session.scalar(select(Transaction))
    assert auth_client.get(f"/rules/new?transaction={row.id}").status_code == 404
    assert auth_client.get("/rules/new?transaction=abc").status_code == 404
