"""Undo: exactly the batch's rows go, audited; only through a scope that may write to its account."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from dashboard.access import WRITE, Need, Scope, batch_or_404
from dashboard.audit import Actor
from dashboard.importers import batches, undo
from dashboard.ledger import verify_totals
from dashboard.models import AuditEvent, Transaction
from tests import factories
from tests.test_importers_batches import load, owner_rows, parsed


def test_undo_removes_exactly_that_batch_and_is_audited(db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-12-31", "-9.99", "Typed in by hand")])
    first = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee"), ("2025-01-06", "-20.00", "Books")))
    second = load(db, user, account, parsed(("2025-01-06", "-20.00", "Books"), ("2025-01-07", "100", "Refund")))

    assert undo.undo_batch(db.session, Scope.of_user(user.id), Actor(user.id, "203.0.113.9"), second) == 1
    db.session.commit()

    assert sorted(db.session.scalars(select(Transaction.description))) == ["Books", "Coffee", "Typed in by hand"]
    assert second.undone_at is not None and first.undone_at is None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import.undo")).one()
    assert (event.actor_id, event.target, event.details["removed"], event.remote_addr) == (
        user.id, f"import_batch:{second.id}", 1, "203.0.113.9")
    assert verify_totals(db.session) == []
    with pytest.raises(undo.BatchAlreadyUndone):
        undo.undo_batch(db.session, Scope.of_user(user.id), Actor(user.id), second)


def test_nobody_undoes_another_users_import(db, user):
    account = factories.create_account(db.session, user)
    batch = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee")))
    mallory = factories.create_user(db.session, "mallory@example.com")
    with pytest.raises(NotFound):
        batch_or_404(db.session, Scope.of_user(mallory.id), batch.id, need=WRITE)
    with pytest.raises(NotFound):
        undo.undo_batch(db.session, Scope.of_user(mallory.id), Actor(mallory.id), batch)
    with pytest.raises(NotFound):
        batches.import_parsed(db.session, Scope.of_user(mallory.id), Actor(mallory.id), account,
                              parsed(("2025-01-05", "1", "x")), "x", b"x")
    db.session.rollback()
    assert owner_rows(db, user.id) == (1, Decimal("-3.50"))


def test_account_batches_lists_the_accounts_imports_newest_first(db, user):
    account = factories.create_account(db.session, user)
    other = factories.create_account(db.session, user, "Savings")
    first = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee")))
    load(db, user, other, parsed(("2025-01-05", "1", "Interest")))
    second = load(db, user, account, parsed(("2025-01-06", "-3.50", "Coffee")))
    assert [b.id for b in undo.account_batches(db.session, Scope.of_user(user.id), account.id)] == [second.id, first.id]


def test_a_read_only_share_sees_the_import_but_cannot_undo_it(db, user):
    account = factories.create_account(db.session, user)
    batch = load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee")))
    bob = factories.create_user(db.session, "bob@example.com")
    reader = Scope.of_user(bob.id, shared={account.id: Need.READ})

    assert batch_or_404(db.session, reader, batch.id, account=account).id == batch.id
    with pytest.raises(Forbidden):
        batch_or_404(db.session, reader, batch.id, need=WRITE, account=account)
    with pytest.raises(Forbidden):
        undo.undo_batch(db.session, reader, Actor(bob.id), batch)
    db.session.rollback()
    assert owner_rows(db, user.id) == (1, Decimal("-3.50")) and batch.undone_at is None
