"""Recurring payments: found from the history, flagged when missed or repriced, confirmed, dismissed, edited."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from dashboard.access import Scope
from dashboard.models import AuditEvent
from dashboard.models.recurring import RecurringPayment
from dashboard.recurring.detection import Cadence, Payment, detect, next_after, payment_key
from dashboard.recurring.services import recurring_overview
from tests import factories


def _monthly(name, amounts, first=date(2026, 1, 15)):
    return [Payment(_add_months(first, n), Decimal(a), f"{name} {n}04",
                    currency="GBP") for n, a in enumerate(amounts)]


def _add_months(day, months):
    for _ in range(months):
        day = next_after(day, Cadence.MONTHLY)
    return day


def test_a_monthly_subscription_is_found_with_its_next_date_and_cost():
    payments = _monthly("NETFLIX.COM", ["-9.99"] * 4) + [
        Payment(date(2026, 2, 3), Decimal("-54.20"), "Corner shop", currency="GBP")]
    [found] = detect(payments, today=date(2026, 4, 20))
    assert (found.key, found.cadence, found.amount) == ("netflix com", Cadence.MONTHLY, Decimal("-9.99"))
    assert found.last_date == date(2026, 4, 15) and found.next_date == date(2026, 5, 15)
    assert found.monthly_cost == Decimal("9.99") and not found.missed and not found.price_changed


def test_a_price_change_and_a_missed_payment_are_flagged():
    payments = _monthly("Gym", ["-30", "-30", "-30", "-35"])  # Jan..Apr, nothing since
    [found] = detect(payments, today=date(2026, 6, 1))
    assert found.previous_amount == Decimal("-30") and found.amount == Decimal("-35")
    assert found.missed == date(2026, 5, 15)
    assert found.next_date == date(2026, 6, 15)  # the next one after today: a week of downtime changes nothing


def test_weekly_and_yearly_payments_have_their_monthly_cost():
    weekly = [Payment(date(2026, 3, 2) + timedelta(days=7 * n), Decimal("-5.00"), "Window cleaner", currency="EUR")
              for n in range(5)]
    yearly = [Payment(date(2023 + n, 3, 10), Decimal("-120.00"), "Domain renewal", currency="EUR") for n in range(3)]
    found = {p.key: p for p in detect(weekly + yearly, today=date(2026, 4, 1))}
    assert found["window cleaner"].cadence == Cadence.WEEKLY
    assert found["window cleaner"].monthly_cost == Decimal("21.67")  # 5 × 52 / 12
    assert found["domain renewal"].cadence == Cadence.YEARLY and found["domain renewal"].monthly_cost == Decimal("10.00")


def test_irregular_or_dissimilar_payments_are_not_recurring():
    irregular = [Payment(date(2026, 1, 1) + timedelta(days=d), Decimal("-20"), "Taxi", currency="GBP")
                 for d in (0, 3, 40, 41, 90)]
    dissimilar = _monthly("Supermarket", ["-20", "-95", "-4", "-60"])
    assert detect(irregular + dissimilar, today=date(2026, 6, 1)) == []
    assert payment_key(Payment(date(2026, 1, 1), Decimal(-1), "CAFÉ Nero #123")) == "cafe nero"


@pytest.fixture
def subscriptions(db, user):
    account = factories.create_account(db.session, user)
    today = date.today()
    rows = [(_add_months(today - timedelta(days=100), n), "-12.99", "SPOTIFY P0123") for n in range(4)]
    rows += [(today - timedelta(days=7 * n), "-4.50", "Milkman") for n in range(6)]
    factories.add_transactions(db.session, account, rows)
    return account


def test_the_page_lists_payments_and_the_monthly_total(auth_client, subscriptions):
    page = auth_client.get("/recurring/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "SPOTIFY P0123" in text and "Milkman" in text
    assert "Monthly cost:" in text and "£32.49" in text  # 12.99 + 4.50 × 52 / 12 = 12.99 + 19.50


def test_confirm_dismiss_and_edit(auth_client, db, user, subscriptions):
    assert auth_client.post("/recurring/decide", data={"key": "milkman", "currency": "GBP",
                                                       "dismiss": "Dismiss"}).status_code == 302
    overview = recurring_overview(db.session, Scope.of_user(user.id), date.today())
    assert [i.pattern.key for i in overview.items] == ["spotify p"] and overview.dismissed[0].pattern.key == "milkman"
    edit = auth_client.get("/recurring/edit?key=spotify+p&currency=GBP")
    assert edit.status_code == 200 and 'value="-12.99"' in edit.get_data(as_text=True)
    saved = auth_client.post("/recurring/edit", data={"key": "spotify p", "currency": "GBP", "name": "Spotify",
                                                      "amount": "-14.99", "cadence": "monthly"})
    assert saved.status_code == 302
    [item] = recurring_overview(db.session, Scope.of_user(user.id), date.today()).items
    assert (item.pattern.name, item.pattern.amount, item.confirmed) == ("Spotify", Decimal("-14.99"), True)
    assert item.pattern.previous_amount == Decimal("-12.99")
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("recurring.%"))).all()
    assert actions == ["recurring.dismiss", "recurring.edit"]


def test_a_positive_amount_and_an_unknown_payment_are_refused(auth_client, db, subscriptions):
    refused = auth_client.post("/recurring/edit", data={"key": "spotify p", "currency": "GBP", "amount": "14.99",
                                                        "cadence": "monthly"})
    assert refused.status_code == 400 and "negative amount" in refused.get_data(as_text=True)
    assert auth_client.post("/recurring/decide", data={"key": "nothing like it", "currency": "GBP",
                                                       "confirm": "Confirm"}).status_code == 404
    assert db.session.scalars(select(RecurringPayment)).all() == []


def test_another_users_payments_are_not_seen(app, db, subscriptions):
    other = factories.create_user(db.session, "bob@example.com")
    bob = app.test_client()
    factories.log_in(bob, other.email)
    assert "SPOTIFY" not in bob.get("/recurring/").get_data(as_text=True)
    assert bob.post("/recurring/decide", data={"key": "spotify p", "currency": "GBP",
                                                       "dismiss": "Dismiss"}).status_code == 404
