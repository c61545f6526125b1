"""The demo's accounts as a new user first sees them: the credit card in debt whatever the day, shown as owed."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from dashboard.access import Scope
from dashboard.accounts.queries import account_summaries
from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from dashboard.models import User
from dashboard.models.accounts import AccountType
from dashboard.reports.balances import DAILY, balances_over_time
from dashboard.reports.periods import Period
from tests import factories
from tests.html_tables import PageTables

EVERY_DAY = [date(2026, 3, 1) + timedelta(days=n) for n in range(31)] + [date(2028, 2, 29)]


def _demo_scope(db) -> Scope:
    return Scope.of_user(db.session.scalar(select(User.id).where(User.email == DEMO_EMAIL)))


@pytest.mark.parametrize("today", EVERY_DAY, ids=str)
def test_the_demo_card_is_in_debt_whatever_the_day_and_was_all_year(db, today):
    seed_demo(db.session, 600, today=today)
    scope = _demo_scope(db)
    card = next(s for s in account_summaries(db.session, scope) if s.account.type == AccountType.CREDIT_CARD)
    assert card.balance < 0 and card.owed > 0
    last_year = Period((today - timedelta(days=300)).replace(day=1), today.replace(day=1))
    history = balances_over_time(db.session, scope, last_year, card.account.id, step=DAILY)
    days = [balance for point, balance in zip(history.points, history.currencies[0].accounts[0].balances)
            if point <= today]
    assert days and max(days) < 0


@pytest.mark.parametrize("count", [30, 100, 250, 527])
def test_a_small_demo_keeps_its_card_in_debt_and_its_row_count(db, count):
    seed_demo(db.session, count)
    summaries = account_summaries(db.session, _demo_scope(db))
    card = next(s for s in summaries if s.account.type == AccountType.CREDIT_CARD)
    assert card.balance < 0 and card.owed > 0
    assert sum(s.transactions for s in summaries) == count


def test_the_dashboard_shows_the_card_as_owed_and_the_total_as_net(client, db):
    seed_demo(db.session, 1500)
    db.session.commit()
    factories.log_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    page = client.get("/").get_data(as_text=True)
    summaries = {s.account.name: s for s in account_summaries(db.session, _demo_scope(db))}
    card = next(s for s in summaries.values() if s.account.type == AccountType.CREDIT_CARD)
    tables = PageTables()
    tables.feed(page)
    rows = {row[0].split(" ···")[0]: row for row in tables.body_rows["accounts-table"]}
    assert rows[card.account.name][3].startswith(f"owed £{card.owed:,.2f}")
    gbp = sum((s.balance for s in summaries.values() if s.account.currency == "GBP"), Decimal(0))
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert f"Net in GBP · 4 accounts £{gbp:,.2f}" in text
    assert gbp < sum((s.balance for s in summaries.values()
                      if s.account.currency == "GBP" and not s.account.liability), Decimal(0))
