"""After any sequence of adds, holds, edits, deletes, imports (stating a balance or not), undos, transfer links
and splits, the totals are exact and every balance a page shows is opening balance + posted rows."""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from dashboard.access import Scope
from dashboard.accounts.queries import account_summary
from dashboard.accounts.edits import TransactionError, add_transaction, delete_transaction, update_transaction
from dashboard.accounts.splits import Part, split_transaction
from dashboard.accounts.transfers import TransferError, link_transfer, unlink_transfer
from dashboard.audit import Actor
from dashboard.balances import reconciliation
from dashboard.importers import undo
from dashboard.ledger import verify_totals
from dashboard.models import Account, ImportBatch, StatedBalance, Transaction
from dashboard.rates.networth import balances_by_currency
from dashboard.reports.balances import balances_over_time
from dashboard.reports.periods import Period, month_end
from tests import factories
from tests.test_importers_batches import load, parsed

REPORT_PERIOD = Period(date(2025, 1, 1), date(2025, 6, 1))  # every day the steps use
REPORT_END = month_end(REPORT_PERIOD.last)
amounts = st.decimals(min_value=Decimal("-500"), max_value=Decimal("500"), places=2).filter(lambda a: a != 0)
days = st.integers(min_value=0, max_value=120).map(lambda n: date(2025, 1, 1) + timedelta(days=n))
categories = st.sampled_from([None, "Food", "Rent", "Transfers"])
steps = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(0, 1), days, amounts, categories),
    st.tuples(st.just("edit"), st.integers(0, 50), days, amounts, categories),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("hold"), st.integers(0, 1), days, amounts),
    st.tuples(st.just("import"), st.integers(0, 1), st.lists(st.tuples(days, amounts), min_size=1, max_size=4),
              st.one_of(st.none(), amounts)),
    st.tuples(st.just("undo"), st.integers(0, 50)),
    st.tuples(st.just("link"), st.integers(0, 50), st.integers(0, 50)),
    st.tuples(st.just("unlink"), st.integers(0, 50)),
    st.tuples(st.just("split"), st.integers(0, 50), amounts, categories, categories),
    st.tuples(st.just("unsplit"), st.integers(0, 50)),
), min_size=1, max_size=15)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_totals_verify_finds_nothing_after_any_sequence(db, user, sequence):
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    accounts = db.session.scalars(select(Account).where(Account.owner_id == user.id).order_by(Account.id)).all()
    if not accounts:
        accounts = [factories.create_account(db.session, user, name) for name in ("Checking", "Savings")]

    def row(number: int) -> Transaction | None:
        rows = db.session.scalars(select(Transaction).order_by(Transaction.id)).all()
        return rows[number % len(rows)] if rows else None

    # What each import still standing stated (hypothesis runs every example on the same database).
    stated_by_batch: dict[int, tuple[int, datetime, Decimal]] = {
        s.batch_id: (s.account_id, s.as_of, s.amount) for s in db.session.scalars(select(StatedBalance))}
    for step_number, step in enumerate(sequence):
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
        elif kind == "hold":
            number, day, amount = args
            factories.add_pending(db.session, accounts[number], day.isoformat(), str(amount), f"hold {step_number}")
        elif kind == "import":
            number, lines, stated = args
            as_of = datetime.combine(max(d for d, _ in lines), time())
            balance = {} if stated is None else {"ledger_balance": stated, "balance_as_of": as_of}
            batch = load(db, user, accounts[number], parsed(*((d.isoformat(), str(a), f"row {d}") for d, a in lines),
                                                            **balance), data=repr(step).encode())
            if stated is not None:
                stated_by_batch[batch.id] = (accounts[number].id, as_of, stated)
        elif kind == "undo":
            open_batches = db.session.scalars(select(ImportBatch).where(ImportBatch.undone_at.is_(None))
                                              .order_by(ImportBatch.id)).all()
            if open_batches:
                chosen = open_batches[args[0] % len(open_batches)]
                undo.undo_batch(db.session, scope, actor, chosen)
                stated_by_batch.pop(chosen.id, None)
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
        _balances_add_up(db, scope, accounts, stated_by_batch)


def _balances_add_up(db, scope, accounts, stated_by_batch) -> None:
    """What the account page, the balances report, net worth and reconcile show, against the rows summed here;
    the stated balance shown is the newest one an import still standing stated."""
    rows = db.session.scalars(select(Transaction)).all()
    report = {series.account_id: series.balances for currency in
              balances_over_time(db.session, scope, REPORT_PERIOD).currencies for series in currency.accounts}
    net_worth = balances_by_currency(db.session, scope, REPORT_END)
    for account in accounts:
        db.session.refresh(account)
        own = [r for r in rows if r.account_id == account.id]

        def balance_at(day: date | None) -> Decimal:
            opened = account.opening_date is None or day is None or account.opening_date <= day
            return (account.opening_balance if opened else Decimal(0)) + sum(
                (r.amount for r in own if r.status == "posted" and (day is None or r.date <= day)), Decimal(0))

        summary = account_summary(db.session, scope, account)
        assert summary.balance == balance_at(None)
        assert summary.pending == sum((r.amount for r in own if r.status == "pending"), Decimal(0))
        assert report[account.id] == [balance_at(month_end(month)) for month in REPORT_PERIOD.months]
        kept = [(as_of, batch_id, amount) for batch_id, (account_id, as_of, amount) in stated_by_batch.items()
                if account_id == account.id]
        assert account.ledger_balance == (max(kept)[2] if kept else None)
        for check in reconciliation(db.session, scope, account.id):
            assert check.computed == account.opening_balance + sum(
                (r.amount for r in own if r.status == "posted" and r.date <= check.date), Decimal(0))
    assert net_worth == {"GBP": sum((balance_at_end(db, account, rows) for account in accounts), Decimal(0))}


def balance_at_end(db, account, rows) -> Decimal:
    return account.opening_balance + sum((r.amount for r in rows if r.account_id == account.id
                                          and r.status == "posted" and r.date <= REPORT_END), Decimal(0))


BANK_OPENING = Decimal("1000.00")  # what the bank held before its first month of statements
BANK_MONTHS = [[(date(2025, month, day), Decimal(amount)) for day, amount in rows] for month, rows in
               enumerate([[(3, "-40.10"), (20, "1500.00")], [(2, "-12.35")], [(9, "-300.00"), (9, "25.25")],
                          [(14, "-0.99")], [(1, "-1200.00"), (28, "64.00")]], start=1)]


def _bank_statement(month: int):
    """The bank's statement of one month, stating its true closing balance."""
    closing = BANK_OPENING + sum((a for rows in BANK_MONTHS[:month + 1] for _, a in rows), Decimal(0))
    return parsed(*((d.isoformat(), str(a), f"card {d} {n}") for n, (d, a) in enumerate(BANK_MONTHS[month])),
                  ledger_balance=closing, balance_as_of=datetime.combine(month_end(BANK_MONTHS[month][0][0]), time()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["import", "undo"]), st.integers(0, len(BANK_MONTHS) - 1)),
                min_size=1, max_size=10))
def test_statements_in_any_order_agree_whenever_no_month_is_missing(db, user, sequence):
    """Monthly statements imported and undone in any order: while the months present have no gap, every
    balance the statements stated agrees with opening balance + rows, as if they had come in date order."""
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    account = factories.create_account(db.session, user, f"Bank {db.session.scalar(select(func.count(Account.id)))}")
    present: dict[int, ImportBatch] = {}
    note(f"steps {sequence}")
    for kind, month in sequence:
        if kind == "import" and month not in present:
            present[month] = load(db, user, account, _bank_statement(month), data=f"month {month}".encode())
        elif kind == "undo" and month in present:
            undo.undo_batch(db.session, scope, actor, present.pop(month))
        months = sorted(present)
        if months and months == list(range(months[0], months[-1] + 1)):
            summary = account_summary(db.session, scope, account)
            assert summary.balance == BANK_OPENING + sum(
                (a for rows in BANK_MONTHS[:months[-1] + 1] for _, a in rows), Decimal(0))
            assert summary.agrees
            assert [check.difference for check in reconciliation(db.session, scope, account.id)] == [0] * len(months)
        elif not months:
            assert (account.opening_balance, account.ledger_balance) == (0, None)
