"""After any sequence of adds, edits, deletes, imports, undos, transfer links and splits, the totals are exact."""
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dashboard.access import Scope
from dashboard.accounts.edits import TransactionError, add_transaction, delete_transaction, update_transaction
from dashboard.accounts.splits import Part, split_transaction
from dashboard.accounts.transfers import TransferError, link_transfer, unlink_transfer
from dashboard.audit import Actor
from dashboard.importers import undo
from dashboard.ledger import verify_totals
from dashboard.models import Account, ImportBatch, Transaction
from tests import factories
from tests.test_importers_batches import load, parsed

amounts = st.decimals(min_value=Decimal("-500"), max_value=Decimal("500"), places=2).filter(lambda a: a != 0)
days = st.integers(min_value=0, max_value=120).map(lambda n: date(2025, 1, 1) + timedelta(days=n))
categories = st.sampled_from([None, "Food", "Rent", "Transfers"])
steps = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(0, 1), days, amounts, categories),
    st.tuples(st.just("edit"), st.integers(0, 50), days, amounts, categories),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("import"), st.integers(0, 1), st.lists(st.tuples(days, amounts), min_size=1, max_size=4)),
    st.tuples(st.just("undo"), st.integers(0, 50)),
    st.tuples(st.just("link"), st.integers(0, 50), st.integers(0, 50)),
    st.tuples(st.just("unlink"), st.integers(0, 50)),
    st.tuples(st.just("split"), st.integers(0, 50), amounts, categories, categories),
    st.tuples(st.just("unsplit"), st.integers(0, 50)),
), min_size=1, max_size=15)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_totals_verify_finds_nothing_after_any_sequence(db, user, sequence):
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    accounts = db.session.scalars(select(Account).where(Account.owner_id == user.id).order_by(Account.id)).all()
    if not accounts:
        accounts = [factories.create_account(db.session, user, name) for name in ("Checking", "Savings")]

    def row(number: int) -> Transaction | None:
        rows = db.session.scalars(select(Transaction).order_by(Transaction.id)).all()
        return rows[number % len(rows)] if rows else None

    for step in sequence:
        kind, *args = step
        if kind == "add":
            number, day, amount, category = args
            add_transaction(db.session, scope, actor, accounts[number],
                            {"date": day, "amount": amount, "description": "by hand", "category": category})
        elif kind == "edit" and (target := row(args[0])) is not None:
            values = {"category": args[3]}
            if target.source == "manual":
                values |= {"date": args[1], "amount": args[2]}
            try:
                update_transaction(db.session, scope, actor, target, values, confirmed=True)
            except TransactionError:  # a split row keeps its amount until its parts change
                pass
        elif kind == "delete" and (target := row(args[0])) is not None:
            delete_transaction(db.session, scope, actor, target)
        elif kind == "import":
            number, lines = args
            load(db, user, accounts[number], parsed(*((d.isoformat(), str(a), f"row {d}") for d, a in lines)),
                 data=repr(lines).encode())
        elif kind == "undo":
            open_batches = db.session.scalars(select(ImportBatch).where(ImportBatch.undone_at.is_(None))
                                              .order_by(ImportBatch.id)).all()
            if open_batches:
                undo.undo_batch(db.session, scope, actor, open_batches[args[0] % len(open_batches)])
        elif kind == "link" and (first := row(args[0])) is not None and (second := row(args[1])) is not None:
            try:
                link_transfer(db.session, scope, actor, first.id, second.id)
            except TransferError:
                pass
        elif kind == "unlink" and (target := row(args[0])) is not None:
            unlink_transfer(db.session, scope, actor, target.id)
        elif kind == "split" and (target := row(args[0])) is not None and args[1] != target.amount:
            first, first_category, second_category = args[1:]
            split_transaction(db.session, scope, actor, target,
                              [Part(first, first_category), Part(target.amount - first, second_category)])
        elif kind == "unsplit" and (target := row(args[0])) is not None:
            split_transaction(db.session, scope, actor, target, [])
        db.session.flush()
        assert verify_totals(db.session) == []
