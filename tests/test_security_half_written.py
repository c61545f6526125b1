"""A failure half-way through a change leaves nothing half-written: each change is one database transaction.

The failure is a full disk, simulated by the database refusing the change's audit event, which every change
writes after its own rows. The test checks that the change's own writes had already run when the refusal came
(so the failure really was half-way), that the person sees the "unavailable" page rather than a stack trace,
and that every table holds exactly what it held before.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import pyotp
from cryptography.fernet import Fernet
import pytest
from sqlalchemy import event, select

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.auth.two_factor import confirm_enrolment, pending_secret
from dashboard.models import Base
from dashboard.models.accounts import Transaction
from dashboard.models.users import Role
from dashboard.rules.definitions import rule_from_json
from dashboard.rules.services import create_rule
from tests import factories

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def app_config():
    """A key for the two-factor secret that Dave has enrolled."""
    return {"ENCRYPTION_KEY": Fernet.generate_key().decode()}
NEW_PASSWORD = "a brand new passphrase"


@dataclass(frozen=True)
class Change:
    """A change a person makes through a page: who makes it and the request, given the prepared rows."""
    name: str
    as_admin: bool
    request: Callable[[dict], tuple[str, dict]]


def _prepared(session) -> dict:
    alice = factories.create_user(session, "alice@example.com")
    admin = factories.create_user(session, "admin@example.com", role=Role.ADMIN)
    account = factories.create_account(session, alice, "Everyday")
    factories.add_transactions(session, account, [("2025-01-03", "-12.50", "Coffee", "Eating out"),
                                                  ("2025-01-04", "1000", "Salary", "Income")])
    factories.create_user(session, "bob@example.com")
    carol = factories.create_user(session, "carol@example.com")
    carol.active = False
    rules = [create_rule(session, Scope.of_user(alice.id), Actor(alice.id), rule_from_json({
        "name": name, "conditions": [{"field": "description", "op": "contains", "value": text}],
        "actions": [{"action": "set_category", "value": category}]}))
        for name, text, category in (("Coffee is a treat", "coffee", "Treats"), ("Pay", "salary", "Income"))]
    row = session.scalars(select(Transaction).where(Transaction.description == "Coffee")).one()
    dave = factories.create_user(session, "dave@example.com")
    confirm_enrolment(session, Actor(dave.id), dave, pyotp.TOTP(pending_secret(session, dave)).now())
    session.flush()
    return {"alice": alice, "admin": admin, "carol": carol, "dave": dave, "account": account, "row": row, "rule": rules[0]}


CHANGES = [
    Change("admin creates a user", True, lambda p: ("/admin/users", {
        "email": "new@example.com", "password": NEW_PASSWORD, "role": "user", "must_change_password": "y"})),
    Change("admin deactivates a user", True, lambda p: (f"/admin/users/{p['alice'].id}/deactivate", {})),
    Change("admin reactivates a user", True, lambda p: (f"/admin/users/{p['carol'].id}/activate", {})),
    Change("admin resets two-factor sign-in", True, lambda p: (f"/admin/users/{p['dave'].id}/two-factor/reset", {})),
    Change("admin sets a role", True, lambda p: (f"/admin/users/{p['alice'].id}/role", {"role": "viewer"})),
    Change("admin resets a password", True, lambda p: (f"/admin/users/{p['alice'].id}/password", {
        "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})),
    Change("user changes their password", False, lambda p: ("/account/password", {
        "current_password": factories.PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})),
    Change("user creates an API token", False, lambda p: ("/settings/tokens", {"name": "laptop"})),
    Change("user adds an account", False, lambda p: ("/accounts/new", {
        "name": "Savings", "type": "savings", "currency": "GBP", "opening_balance": "250"})),
    Change("user edits an account", False, lambda p: (f"/accounts/{p['account'].id}/edit", {
        "name": "Renamed", "type": "checking", "currency": "GBP", "opening_balance": "5"})),
    Change("user closes an account", False, lambda p: (f"/accounts/{p['account'].id}/close", {})),
    Change("user deletes an account", False, lambda p: (f"/accounts/{p['account'].id}/delete", {"confirm": "y"})),
    Change("user adds a transaction", False, lambda p: (f"/accounts/{p['account'].id}/transactions/new", {
        "date": "2025-01-05", "description": "Books", "direction": "out", "amount": "20", "category": "Books"})),
    Change("user edits a transaction", False, lambda p: (f"/transactions/{p['row'].id}/edit", {
        "date": "2025-01-03", "description": "Coffee", "direction": "out", "amount": "13", "category": "Treats"})),
    Change("user deletes a transaction", False, lambda p: (f"/transactions/{p['row'].id}/delete", {})),
    Change("user recategorises a transaction", False, lambda p: (f"/transactions/{p['row'].id}", {
        "category": "Treats", "note": "with Sam"})),
    Change("user recategorises in bulk", False, lambda p: ("/transactions/categorise", {
        "ids": [str(p["row"].id)], "category": "Treats"})),
    Change("user creates a rule", False, lambda p: ("/rules/new", {
        "name": "Coffee", "match": "all", "stop": "y", "conditions-0-field": "description",
        "conditions-0-op": "contains", "conditions-0-value": "coffee", "actions-0-action": "set_category",
        "actions-0-value": "Treats"})),
    Change("user edits a rule", False, lambda p: (f"/rules/{p['rule'].id}", {
        "name": "Coffee, renamed", "match": "any", "conditions-0-field": "description",
        "conditions-0-op": "contains", "conditions-0-value": "latte", "actions-0-action": "set_category",
        "actions-0-value": "Eating out"})),
    Change("user moves a rule", False, lambda p: (f"/rules/{p['rule'].id}/move", {"direction": "down"})),
    Change("user deletes a rule", False, lambda p: (f"/rules/{p['rule'].id}/delete", {})),
    Change("user applies the rules to existing transactions", False, lambda p: ("/rules/apply", {})),
    Change("user splits a transaction", False, lambda p: (f"/transactions/{p['row'].id}/split", {
        "parts-0-amount": "-10.00", "parts-0-category": "Eating out", "parts-1-amount": "-2.50",
        "parts-1-category": "Treats", "submit": "Save split"})),
    Change("user shares an account", False, lambda p: (f"/accounts/{p['account'].id}/shares", {
        "email": "bob@example.com", "access": "read"})),
]


def _everything(session) -> dict[str, list[tuple]]:
    """Every row of every table, so that any write at all shows."""
    session.expire_all()
    return {table.name: sorted((tuple(_comparable(value) for value in row) for row in session.execute(select(table))),
                               key=repr)
            for table in Base.metadata.sorted_tables}


def _comparable(value):
    """A similarity vector comes back as a numpy array, which ``==`` compares element by element."""
    return tuple(value.tolist()) if hasattr(value, "tolist") else value


# Statements the database itself refuses, in its own error class for a full disk where it has one.
DISK_FULL = {
    "postgresql": "DO $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' "
                  "USING ERRCODE = 'disk_full'; END $$",
    "sqlite": "SELECT disk_is_full()",  # an OperationalError, as SQLite's own "database or disk is full" is
}


@contextmanager
def disk_full_at_the_audit_event(engine):
    """The database refuses the audit event's INSERT; yields the writes that ran before it."""
    writes_before: list[str] = []

    def refuse(_connection, _cursor, statement, parameters, *_args):
        if statement.startswith("INSERT INTO audit_events"):
            return DISK_FULL[engine.dialect.name], ()
        if statement.startswith(WRITES):
            writes_before.append(statement.split("(")[0].strip())
        return statement, parameters

    event.listen(engine, "before_cursor_execute", refuse, retval=True)
    try:
        yield writes_before
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.name)
def test_a_change_that_fails_half_way_leaves_nothing_written(client, db, change: Change):
    prepared = _prepared(db.session)
    url, data = change.request(prepared)
    factories.log_in(client, (prepared["admin"] if change.as_admin else prepared["alice"]).email)
    before = _everything(db.session)

    with disk_full_at_the_audit_event(db.engine) as writes_before:
        response = client.post(url, data=data)
    db.session.rollback()

    assert writes_before, "the change wrote nothing before its audit event, so the failure was not half-way"
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Traceback" not in page and "No space left" not in page and "disk_is_full" not in page
    assert _everything(db.session) == before


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.name)
def test_the_same_change_writes_when_the_disk_has_room(client, db, change: Change):
    """Each case above is a real change: without the failure it is accepted and writes."""
    prepared = _prepared(db.session)
    url, data = change.request(prepared)
    factories.log_in(client, (prepared["admin"] if change.as_admin else prepared["alice"]).email)
    before = _everything(db.session)

    response = client.post(url, data=data)

    assert response.status_code in (200, 302, 303)
    assert _everything(db.session) != before


RULES_FILE = ('[{"name": "Books", "conditions": [{"field": "description", "op": "contains", "value": "book"}],'
              ' "actions": [{"action": "set_category", "value": "Books"}]}]')

COMMANDS = {
    "users create": lambda p, rules: (["users", "create", "new@example.com", "--password-stdin"], NEW_PASSWORD),
    "users deactivate": lambda p, rules: (["users", "deactivate", "alice@example.com"], None),
    "users activate": lambda p, rules: (["users", "activate", "carol@example.com"], None),
    "users set-role": lambda p, rules: (["users", "set-role", "alice@example.com", "viewer"], None),
    "users reset-password": lambda p, rules: (["users", "reset-password", "alice@example.com", "--password-stdin"],
                                              NEW_PASSWORD),
    "users reset-2fa": lambda p, rules: (["users", "reset-2fa", "dave@example.com"], None),
    "rules import": lambda p, rules: (["rules", "import", str(rules), "--user", "alice@example.com"], None),
    "rules apply": lambda p, rules: (["rules", "apply", "--user", "alice@example.com"], None),
}


def _command(db, tmp_path, name):
    prepared = _prepared(db.session)
    rules = tmp_path / "rules.json"
    rules.write_text(RULES_FILE)
    db.session.commit()
    return COMMANDS[name](prepared, rules)


@pytest.mark.parametrize("name", COMMANDS)
def test_a_command_that_fails_half_way_leaves_nothing_written_and_says_why_in_one_line(runner, db, tmp_path, name):
    arguments, given = _command(db, tmp_path, name)
    before = _everything(db.session)

    with disk_full_at_the_audit_event(db.engine) as writes_before:
        result = runner.invoke(args=arguments, input=given)
    db.session.rollback()

    assert writes_before, "the command wrote nothing before its audit event, so the failure was not half-way"
    assert result.exit_code != 0
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert _everything(db.session) == before


@pytest.mark.parametrize("name", COMMANDS)
def test_the_same_command_writes_when_the_disk_has_room(runner, db, tmp_path, name):
    arguments, given = _command(db, tmp_path, name)
    before = _everything(db.session)

    result = runner.invoke(args=arguments, input=given)

    assert result.exit_code == 0, result.output
    assert _everything(db.session) != before
