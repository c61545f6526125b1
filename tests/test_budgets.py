"""Budgets: budget months from a start day, figures that equal the reports', roll-over, the page and the CLI."""
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from dashboard.access import Scope
from dashboard.accounts.splits import Part, split_transaction
from dashboard.audit import Actor
from dashboard.budgets.months import LAST_WORKING_DAY, budget_month, month_of, parse_start_day
from dashboard.budgets.services import budget_report, set_budget
from dashboard.categories.services import edit_category, merge_categories
from dashboard.ledger import verify_totals
from dashboard.models import Account, AuditEvent, Budget, Category, Transaction, TransactionSplit, User
from dashboard.reports.periods import Period
from dashboard.reports.queries import spending_by_category
from tests import factories

MARCH = date(2026, 3, 1)


def _days(month):
    return month.first, month.last


def test_a_budget_month_starts_on_the_start_day():
    assert _days(budget_month(MARCH, 1)) == (date(2026, 3, 1), date(2026, 3, 31))
    assert _days(budget_month(MARCH, 25)) == (date(2026, 3, 25), date(2026, 4, 24))
    # 31 May 2026 is a Sunday: the last working day of May is Friday the 29th
    assert _days(budget_month(date(2026, 5, 1), LAST_WORKING_DAY)) == (date(2026, 5, 29), date(2026, 6, 29))
    assert month_of(date(2026, 3, 24), 25).name == "2026-02" and month_of(date(2026, 3, 25), 25).name == "2026-03"
    assert budget_month(MARCH, 25).share_gone(date(2026, 4, 9)) == Decimal("51.6")  # day 16 of 31
    with pytest.raises(ValueError):
        parse_start_day("29")


@pytest.fixture
def household(db, user):
    """Food (with Groceries and Eating out) and Rent, a month of spending, one split transaction."""
    food = Category(owner_id=user.id, name="Food")
    rent = Category(owner_id=user.id, name="Rent")
    db.session.add_all([food, rent])
    db.session.flush()
    db.session.add_all([Category(owner_id=user.id, name="Groceries", parent_id=food.id),
                        Category(owner_id=user.id, name="Eating out", parent_id=food.id)])
    account = factories.create_account(db.session, user, currency="GBP")
    factories.add_transactions(db.session, account, [
        ("2026-03-02", "-42.10", "Tesco", "Groceries"),
        ("2026-03-09", "-18.00", "Pizza", "Eating out"),
        ("2026-03-20", "-5.00", "Market", "Food"),
        ("2026-03-01", "-900.00", "Landlord", "Rent"),
        ("2026-03-28", "-60.00", "Supermarket", "Groceries"),
        ("2026-04-03", "-25.00", "Tesco", "Groceries"),
        ("2026-03-15", "2000.00", "Salary", "Salary"),
    ])
    supermarket = db.session.scalar(select(Transaction).where(Transaction.description == "Supermarket"))
    split_transaction(db.session, Scope.of_user(user.id), Actor(user.id), supermarket,
                      [Part(Decimal("-45.00"), "Groceries"), Part(Decimal("-15.00"), "Rent")])
    return {c.name: c for c in db.session.scalars(select(Category).where(Category.owner_id == user.id))}


def _budget(db, user, category, amount, month=None, **rollover):
    return set_budget(db.session, Scope.of_user(user.id), Actor(user.id), category, Decimal(amount), "GBP", month,
                      starts=date(2026, 2, 1), **rollover)


def _lines(db, user, label=MARCH, start=1):
    report = budget_report(db.session, Scope.of_user(user.id), start, label, date(2026, 3, 16))
    return {line.label: line for line in report.lines}


def test_budget_figures_equal_the_reports(db, user, household):
    for name in ("Groceries", "Eating out", "Rent", "Food"):
        _budget(db, user, household[name], "500")
    lines = _lines(db, user)
    report = spending_by_category(db.session, Scope.of_user(user.id), Period(MARCH, MARCH))
    spent = {c.category: c.spent for c in report[0].categories}
    assert lines["Food › Groceries"].spent == spent["Groceries"] == Decimal("87.10")  # 42.10 + the split's 45
    assert lines["Food › Eating out"].spent == spent["Eating out"]
    assert lines["Rent"].spent == spent["Rent"] == Decimal("915.00")
    assert lines["Food"].spent == spent["Food"] + spent["Groceries"] + spent["Eating out"] == Decimal("110.10")


def test_over_budget_and_the_share_of_the_month(db, user, household):
    _budget(db, user, household["Rent"], "900")
    report = budget_report(db.session, Scope.of_user(user.id), 1, MARCH, date(2026, 3, 16))
    [line] = report.lines
    assert (line.budgeted, line.spent, line.remaining, line.over) == (
        Decimal("900"), Decimal("915.00"), Decimal("-15.00"), True)
    assert report.share_gone == Decimal("51.6")  # 16 of 31 days


def test_roll_over_carries_unspent_and_overspent(db, user, household):
    _budget(db, user, household["Groceries"], "100", rollover_unspent=True, rollover_overspent=True)
    _budget(db, user, household["Rent"], "900", rollover_overspent=True)
    _budget(db, user, household["Eating out"], "50")
    april = _lines(db, user, date(2026, 4, 1))
    # February: nothing spent, 100 carried; March: 200 available, 87.10 spent
    assert april["Food › Groceries"].carried == Decimal("112.90")
    assert april["Food › Groceries"].remaining == Decimal("187.90")  # 100 + 112.90 - 25
    assert april["Rent"].carried == Decimal("-15.00")  # February's unspent 900 dropped, March's overspend carried
    assert april["Food › Eating out"].carried == 0


def test_a_one_month_budget_takes_the_place_of_the_every_month_one(db, user, household):
    _budget(db, user, household["Groceries"], "100")
    _budget(db, user, household["Groceries"], "300", month=MARCH)
    assert _lines(db, user)["Food › Groceries"].budgeted == Decimal("300")
    assert _lines(db, user, date(2026, 4, 1))["Food › Groceries"].budgeted == Decimal("100")
    assert len(db.session.scalars(select(Budget)).all()) == 2


def test_a_later_start_day_moves_the_days_counted(db, user, household):
    _budget(db, user, household["Groceries"], "100")
    # 25 March to 24 April: the split's 45 on the 28th and 25 on 3 April
    assert _lines(db, user, start=25)["Food › Groceries"].spent == Decimal("70.00")


def test_cli_set_and_show(runner, db, user, household):
    result = runner.invoke(args=["budgets", "set", "--user", user.email, "--category", "Food › Groceries",
                                 "--amount", "100", "--currency", "gbp", "--month", "2026-03", "--rollover"])
    assert result.exit_code == 0, result.output
    runner.invoke(args=["budgets", "set", "--user", user.email, "--category", "rent", "--amount", "900",
                        "--currency", "GBP", "--month", "2026-03"])
    shown = runner.invoke(args=["budgets", "show", "--user", user.email, "--month", "2026-03"])
    assert shown.exit_code == 0
    rows = list(csv.reader(io.StringIO(shown.output)))
    assert rows[0] == ["category", "currency", "budgeted", "spent", "remaining"]  # DESIGN.md's header, exactly
    assert rows[1:] == [["Food › Groceries", "GBP", "100.00", "87.10", "12.90"],
                                         ["Rent", "GBP", "900.00", "915.00", "-15.00"]]


@pytest.mark.parametrize("args, message", [
    (["--category", "Nope", "--amount", "5", "--currency", "GBP"], "no category named 'Nope'"),
    (["--category", "Rent", "--amount", "-5", "--currency", "GBP"], "positive amount"),
    (["--category", "Rent", "--amount", "lots", "--currency", "GBP"], "not an amount"),
    (["--category", "Rent", "--amount", "1e1000000", "--currency", "GBP"], "positive amount"),
    (["--category", "Rent", "--amount", "NaN", "--currency", "GBP"], "positive amount"),
    (["--category", "Rent", "--amount", "5", "--currency", "GBP", "--month", "2026-13"], "not a month"),
])
def test_cli_refuses_bad_input_in_one_line(runner, db, user, household, args, message):
    result = runner.invoke(args=["budgets", "set", "--user", user.email, *args])
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output
    assert db.session.scalars(select(Budget)).all() == []


def test_the_page_sets_shows_and_removes_budgets(auth_client, db, user, household):
    response = auth_client.post("/budgets/?month=2026-03", data={
        "category": household["Rent"].id, "amount": "900", "currency": "GBP", "month": "2026-03"})
    assert response.status_code == 302
    page = auth_client.get("/budgets/?month=2026-03").get_data(as_text=True)
    assert "Over budget" in page and "£915.00" in page and "of the month gone" in page
    budget = db.session.scalar(select(Budget))
    assert auth_client.post("/budgets/delete", data={"budget_id": budget.id}).status_code == 302
    assert db.session.scalars(select(Budget)).all() == []
    assert [e for e in db.session.scalars(select(AuditEvent.action)) if e.startswith("budget.")] == [
        "budget.set", "budget.delete"]


def test_the_month_start_preference(auth_client, db, user):
    assert auth_client.post("/budgets/month-start", data={"start": "25"}).status_code == 302
    assert db.session.get(User, user.id).preferences["budget_month_start"] == 25
    auth_client.post("/budgets/month-start", data={"start": "31"})
    assert db.session.get(User, user.id).preferences["budget_month_start"] == 25
    page = auth_client.get("/budgets/").get_data(as_text=True)
    assert '<option selected value="25">Day 25' in page


def test_another_users_budget_cannot_be_removed_or_seen(client, db, user, household):
    budget = _budget(db, user, household["Rent"], "900")
    other = factories.create_user(db.session, "bob@example.com")
    bob = client
    factories.log_in(bob, other.email)
    assert "Rent" not in bob.get("/budgets/?month=2026-03").get_data(as_text=True).split("Set a budget")[0]
    assert bob.post("/budgets/delete", data={"budget_id": budget.id}).status_code == 404
    assert db.session.get(Budget, budget.id) is not None


def test_the_dashboard_summarises_this_budget_month(auth_client, db, user, household):
    today = date.today()
    account = db.session.get(Account, db.session.scalar(select(Transaction.account_id)))
    factories.add_transactions(db.session, account, [(today, "-120.00", "Big shop", "Groceries")],
                               external_ids=["today"])
    set_budget(db.session, Scope.of_user(user.id), Actor(user.id), household["Groceries"], Decimal("100"), "GBP", None,
               starts=today.replace(day=1))
    page = auth_client.get("/").get_data(as_text=True)
    assert 'id="budget-summary"' in page and "Over budget:" in page and "Food › Groceries (£20.00 over)" in page


def test_renaming_and_merging_categories_moves_parts_and_budgets(db, user, household):
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    _budget(db, user, household["Groceries"], "100")
    _budget(db, user, household["Eating out"], "50")
    edit_category(db.session, scope, actor, household["Groceries"].id, "Supermarkets", household["Food"].id)
    assert "Supermarkets" in db.session.scalars(select(TransactionSplit.category)).all()
    assert verify_totals(db.session) == []
    assert _lines(db, user)["Food › Supermarkets"].spent == Decimal("87.10")
    merge_categories(db.session, scope, actor, household["Eating out"].id, household["Groceries"].id)
    assert verify_totals(db.session) == []
    [line] = [line for line in _lines(db, user).values() if line.label.startswith("Food ›")]
    assert (line.label, line.budgeted, line.spent) == ("Food › Supermarkets", Decimal("150"), Decimal("105.10"))


def test_the_budget_page_query_count_does_not_grow_with_rows(auth_client, db, user, household, statements_of):
    for name in ("Groceries", "Rent", "Food"):
        _budget(db, user, household[name], "100", rollover_unspent=True)
    account = db.session.get(Account, db.session.scalar(select(Transaction.account_id)))
    counts = []
    for batch in range(2):
        factories.add_transactions(db.session, account, [(f"2026-03-{day:02d}", "-1.00", f"Shop {batch}", "Groceries")
                                                         for day in range(1, 29)])
        db.session.commit()
        count, response = statements_of(lambda: auth_client.get("/budgets/?month=2026-03"))
        assert response.status_code == 200
        counts.append(count)
    assert counts[0] == counts[1]


amounts = st.decimals(min_value=Decimal("-300"), max_value=Decimal("300"), places=2).filter(lambda a: a != 0)
names = st.sampled_from(["Groceries", "Eating out", "Food", "Rent", None])
rows = st.lists(st.tuples(st.integers(0, 60), amounts, names, st.one_of(st.none(), st.tuples(amounts, names))),
                min_size=1, max_size=12)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows)
def test_budget_spending_always_equals_the_report(db, user, household, generated):
    """Any rows and splits, across a month's edges: every budget's spent is the report's spending, to the cent."""
    scope, actor = Scope.of_user(user.id), Actor(user.id)
    if not db.session.scalars(select(Budget)).all():
        for name in ("Groceries", "Eating out", "Food", "Rent"):
            _budget(db, user, household[name], "100")
    account = db.session.get(Account, db.session.scalar(select(Transaction.account_id)))
    start = db.session.scalar(select(func.count()).select_from(Transaction))
    for number, (day, amount, category, split) in enumerate(generated):
        factories.add_transactions(db.session, account, [(date(2026, 2, 15) + timedelta(days=day), amount,
                                                          f"generated {number}", category)],
                                   external_ids=[f"generated-{start}-{number}"])
        if split is not None and split[0] != amount:
            row = db.session.scalar(select(Transaction).where(Transaction.external_id == f"generated-{start}-{number}"))
            split_transaction(db.session, scope, actor, row, [Part(split[0], split[1]), Part(amount - split[0], category)])
    for label in (date(2026, 2, 1), MARCH, date(2026, 4, 1)):
        report = spending_by_category(db.session, scope, Period(label, label))
        spent = {c.category: c.spent for c in report[0].categories} if report else {}
        lines = _lines(db, user, label)
        for name in ("Groceries", "Eating out", "Rent"):
            label_of = f"Food › {name}" if name != "Rent" else name
            assert lines[label_of].spent == spent.get(name, Decimal(0))
        assert lines["Food"].spent == sum((spent.get(n, Decimal(0)) for n in ("Food", "Groceries", "Eating out")),
                                          Decimal(0))
