"""Realistic demo data: the demo login, five accounts and N transactions over two years."""
from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from dashboard.auth.services import create_user, find_user
from dashboard.ledger import bulk_load_transactions
from dashboard.search import transaction_search_text
from dashboard.balances import posted_sum, record_stated_balance
from dashboard.models import Account, ImportBatch, MonthlyTotal, StatedBalance, Transaction, TransactionSplit
from dashboard.models.accounts import TRANSFER_CATEGORY, AccountSource, AccountType, TransactionStatus
from dashboard.models.base import utcnow
from dashboard.models.rates import ExchangeRate, RateSource
from dashboard.models.users import Role

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"
DEMO_TRANSACTIONS = 3000  # what `make run` seeds, and the README screenshot shows
HISTORY_DAYS = 730
HOUSEHOLD_ROWS_PER_MONTH = 80  # everyday card and cash payments of a household, beyond which amounts shrink
SCHEDULED_PER_MONTH = 22
CENT = Decimal("0.01")

ACCOUNTS = (
    # key, name, type, institution, currency, last four, opening balance
    ("checking", "Everyday Checking", AccountType.CHECKING, "Northwind Bank", "GBP", "4821", Decimal("2450.00")),
    ("savings", "Rainy Day Savings", AccountType.SAVINGS, "Northwind Bank", "GBP", "9034", Decimal("8000.00")),
    ("card", "Rewards Credit Card", AccountType.CREDIT_CARD, "Contoso Card Services", "GBP", "1177", Decimal("-640.00")),
    ("business", "Studio Ltd Business", AccountType.BUSINESS, "Fabrikam Business Bank", "GBP", "5510",
     Decimal("15000.00")),
    ("euro", "Euro Travel Account", AccountType.CHECKING, "Wide World Bank", "EUR", "3302", Decimal("1200.00")),
)

# (description, counterparty, category, low, high) for everyday spending, per account
EVERYDAY = {
    "checking": [
        ("Tesco Superstore", "Tesco", "Groceries", 8, 95), ("Sainsbury's", "Sainsbury's", "Groceries", 5, 80),
        ("Pret A Manger", "Pret", "Eating out", 3, 14), ("TfL Travel", "Transport for London", "Transport", 2, 9),
        ("Boots Pharmacy", "Boots", "Health", 4, 40), ("Café Nero", "Caffè Nero", "Eating out", 2, 7),
    ],
    "card": [
        ("Amazon Marketplace", "Amazon", "Shopping", 6, 90), ("Waitrose", "Waitrose", "Groceries", 10, 120),
        ("Trainline", "Trainline", "Travel", 12, 140), ("Dishoom", "Dishoom", "Eating out", 25, 110),
        ("Shell Fuel", "Shell", "Transport", 30, 85), ("John Lewis", "John Lewis", "Shopping", 15, 150),
    ],
    "euro": [
        ("Carrefour Market", "Carrefour", "Groceries", 6, 70), ("Café de Flore", "Café de Flore", "Eating out", 5, 45),
        ("SNCF Billet", "SNCF", "Travel", 20, 160), ("Pharmacie Centrale", "Pharmacie", "Health", 4, 30),
    ],
    "business": [
        ("Office supplies - Viking", "Viking Direct", "Office", 12, 180), ("Client lunch", "Hawksmoor", "Entertaining", 40, 220),
        ("Courier - DHL", "DHL", "Postage", 9, 60),
    ],
}
# (base, quote, first rate, long-run level, daily spread, places): euro reference rates as the ECB publishes them,
# so the euro account converts into pounds (and, through the euro, into dollars for a USD home currency)
DEMO_RATES = (("EUR", "GBP", Decimal("0.86000"), Decimal("0.85500"), 0.0022, Decimal("0.00001")),
              ("EUR", "USD", Decimal("1.0900"), Decimal("1.1000"), 0.0045, Decimal("0.0001")))
BUSINESS_NOMINAL = {"Office": "7500", "Entertaining": "8200", "Postage": "7501"}

MONTHLY = (
    # account, day, description, counterparty, category, amount, nominal code
    ("checking", 25, "Salary - Contoso Ltd", "Contoso Ltd", "Salary", Decimal("4650.00"), None),
    ("checking", 1, "Rent - Parkside Lettings", "Parkside Lettings", "Rent", Decimal("-1200.00"), None),
    ("checking", 5, "British Gas", "British Gas", "Utilities", Decimal("-86.40"), None),
    ("checking", 8, "Council Tax", "Camden Council", "Utilities", Decimal("-154.00"), None),
    ("checking", 12, "Netflix", "Netflix", "Subscriptions", Decimal("-10.99"), None),
    ("checking", 14, "Spotify", "Spotify", "Subscriptions", Decimal("-11.99"), None),
    ("card", 3, "iCloud Storage", "Apple", "Subscriptions", Decimal("-2.99"), None),
    ("savings", 28, "Interest", "Northwind Bank", "Interest", Decimal("18.25"), None),
    ("business", 10, "Invoice 10xx - Acme Corp", "Acme Corp", "Sales", Decimal("6400.00"), "4000"),
    ("business", 20, "Invoice 20xx - Globex", "Globex", "Sales", Decimal("2150.00"), "4000"),
    ("business", 15, "Materials - Fabrikam Supplies", "Fabrikam Supplies", "Purchases", Decimal("-740.00"), "5000"),
    ("business", 18, "Subcontractor - J Smith", "J Smith", "Direct expenses", Decimal("-1200.00"), "6000"),
    ("business", 1, "Studio rent", "Camden Studios", "Rent", Decimal("-1500.00"), "7100"),
    ("business", 27, "Payroll", "HMRC PAYE", "Wages", Decimal("-3100.00"), "7000"),
    ("business", 6, "BT Business Broadband", "BT", "Telephone", Decimal("-45.00"), "7502"),
    ("business", 28, "Bank charges", "Fabrikam Business Bank", "Bank charges", Decimal("-8.50"), "7900"),
)


@dataclass
class SeedResult:
    accounts: int
    transactions: int


def seed_demo(session: Session, count: int, random_seed: int = 2024, today: date | None = None,
              single_account: bool = False) -> SeedResult:
    """(Re)create the demo user's data: the same seed and count give the same transactions.

    ``single_account`` puts every transaction in the checking account: the benchmark's million rows in one account.
    """
    rng = random.Random(random_seed)
    today = today or date.today()
    user = find_user(session, DEMO_EMAIL)
    if user is None:
        user = create_user(session, DEMO_EMAIL, DEMO_PASSWORD, Role.ADMIN)
    else:
        _clear_user_data(session, user.id)
    accounts = {}
    for key, name, type_, institution, currency, last_four, _opening in ACCOUNTS:
        accounts[key] = Account(owner_id=user.id, name=name, type=type_, institution=institution, currency=currency,
                                last_four=last_four, source=AccountSource.MANUAL, external_id=f"demo-{key}")
    session.add_all(accounts.values())
    session.flush()
    rows = list(_demo_rows(rng, user.id, accounts, count, today, single_account))
    bulk_load_transactions(session, rows, user.id)
    _set_balances(session, accounts)
    _seed_rates(session, user.id, random_seed, today)
    return SeedResult(accounts=len(accounts), transactions=len(rows))


def _clear_user_data(session: Session, owner_id: int) -> None:
    for model in (StatedBalance, TransactionSplit, Transaction, MonthlyTotal, ImportBatch, Account, ExchangeRate):
        session.execute(delete(model).where(model.owner_id == owner_id))


def _seed_rates(session: Session, owner_id: int, random_seed: int, today: date) -> None:
    """A rate for every weekday of the history, as the ECB publishes (none at weekends: Friday's is used), as
    the demo user's own so no published rate is touched; a walk pulled back to its level, from its own seed so
    the transactions stay the same."""
    rng = random.Random(f"rates-{random_seed}")
    rows = []
    for base, quote, first, level, spread, places in DEMO_RATES:
        rate = first
        for offset in range(HISTORY_DAYS + 7, -1, -1):
            day = today - timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            step = Decimal(str(round(rng.gauss(0, spread), 4))) + (level - rate) / 50
            rate = (rate + step).quantize(places)
            rows.append({"owner_id": owner_id, "base": base, "quote": quote, "date": day, "rate": rate,
                         "source": RateSource.DEMO.value})
    session.execute(insert(ExchangeRate), rows)


def _demo_rows(rng: random.Random, owner_id: int, accounts: dict, count: int, today: date,
               single_account: bool = False) -> Iterator[dict]:
    # Fewer rows than two years of a household's bills and spending: a shorter history, so the rows still hold
    # as much everyday spending as bills (with the bills alone, the card's payments and refunds put it in credit).
    months = max(1, min(HISTORY_DAYS // 30, count // (2 * SCHEDULED_PER_MONTH)))
    start = today - timedelta(days=HISTORY_DAYS if months == HISTORY_DAYS // 30 else months * 30)
    # How many bills the span holds depends on its days alone, not on amounts: count them, so the rows add up.
    bills = sum(1 for _ in _scheduled(random.Random(0), start, today, defaultdict(Decimal)))
    everyday_count = max(count - bills, 0)
    everyday = list(_everyday(rng, start, today, everyday_count, months))
    rows = (list(_scheduled(rng, start, today, _monthly_spending(everyday))) + everyday)[:count]
    for number, (key, day, description, counterparty, category, amount, nominal) in enumerate(rows):
        account = accounts["checking" if single_account else key]
        yield {
            "owner_id": owner_id, "account_id": account.id, "external_id": f"demo-{number}",
            "date": day, "description": description, "amount": amount, "currency": account.currency,
            "status": TransactionStatus.PENDING if (today - day).days < 3 and amount < 0 else TransactionStatus.POSTED,
            "category": category, "counterparty": counterparty, "nominal_code": nominal,
            "search_text": transaction_search_text(description, counterparty, None, f"demo-{number}"),
        }


def _monthly_spending(everyday: list[tuple]) -> dict[tuple[str, date], Decimal]:
    """Everyday spending per account and month, so card bills and euro top-ups match it."""
    spent: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for key, day, *_rest, amount, _nominal in everyday:
        spent[(key, day.replace(day=1))] -= amount
    return spent


def _scheduled(rng: random.Random, start: date, today: date, spent: dict) -> Iterator[tuple]:
    """Salary, rent, bills, subscriptions and invoices every month; transfers and refunds."""
    month = start.replace(day=1)
    refunds: dict[date, Decimal] = {}
    while month <= today:
        for key, day, description, counterparty, category, amount, nominal in MONTHLY:
            when = month.replace(day=day)
            if start <= when <= today:
                yield key, when, description, counterparty, category, amount, nominal
        when = month.replace(day=26)
        if start <= when <= today:
            saved = Decimal(rng.choice([300, 400, 500]))
            yield "checking", when, "Transfer to Rainy Day Savings", "Rainy Day Savings", TRANSFER_CATEGORY, -saved, None
            yield "savings", when, "Transfer from Everyday Checking", "Everyday Checking", TRANSFER_CATEGORY, saved, None
            refunds[month] = Decimal(rng.randint(500, 6000)) / 100
            yield "card", month.replace(day=17), "Refund - Amazon Marketplace", "Amazon", "Shopping", refunds[month], None
            # The bill pays last month's statement (the first one part of the opening debt), so the card owes
            # this month's spending and its opening balance whatever the day: it is never in credit.
            previous = (month - timedelta(days=1)).replace(day=1)
            card_bill = max(spent[("card", previous)] - refunds[previous], CENT) if previous in refunds \
                else Decimal("100.00")
            yield "checking", when, "Credit card payment", "Contoso Card Services", TRANSFER_CATEGORY, -card_bill, None
            yield "card", when, "Payment received - thank you", "Everyday Checking", TRANSFER_CATEGORY, card_bill, None
        when = month.replace(day=2)
        if start <= when <= today:
            top_up = spent[("euro", month)].quantize(Decimal(1)) + 50
            yield "euro", when, "Top-up from Everyday Checking", "Everyday Checking", TRANSFER_CATEGORY, top_up, None
        month = (month + timedelta(days=32)).replace(day=1)


def _everyday(rng: random.Random, start: date, today: date, count: int, months: int) -> Iterator[tuple]:
    """Card and cash spending; amounts shrink when there are more rows a month than a household has."""
    keys = list(EVERYDAY)
    weights = [50, 30, 8, 12]
    span = (today - start).days
    scale = min(Decimal(1), Decimal(HOUSEHOLD_ROWS_PER_MONTH * months) / max(count, 1))
    for _ in range(count):
        key = rng.choices(keys, weights)[0]
        description, counterparty, category, low, high = rng.choice(EVERYDAY[key])
        amount = -max(Decimal("0.50"), (Decimal(rng.randint(low * 100, high * 100)) * scale / 100).quantize(CENT))
        nominal = BUSINESS_NOMINAL.get(category) if key == "business" else None
        yield key, start + timedelta(days=rng.randint(0, span)), description, counterparty, category, amount, nominal


def _set_balances(session: Session, accounts: dict) -> None:
    """Each account opens at its opening balance; the bank states opening balance + posted rows as of now
    (so stated and computed agree), a card available up to its limit."""
    opening = {key: balance for key, *_rest, balance in ACCOUNTS}
    now = utcnow().replace(microsecond=0)
    for key, account in accounts.items():
        account.opening_balance = opening[key]
        ledger = opening[key] + posted_sum(session, account.id)
        credit_limit = Decimal(5000) if account.type == AccountType.CREDIT_CARD else 0
        record_stated_balance(session, account, now, ledger, ledger + credit_limit)
