"""The transaction table: one filtered query, keyset pages over it and running balances.

The account page, ``/transactions`` and both CSV exports read through
``filtered_transactions``, so what a page shows and what its export writes
are the same rows. Pages are keyset pages (never OFFSET, never a count over
everything), so the first, a middle and the last page of a million rows cost
the same.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from decimal import Decimal

from typing import NamedTuple

from sqlalchemy import (Select, and_, case, exists, func, literal, or_, select, true, tuple_, type_coerce,
                        union_all)
from sqlalchemy.orm import Session, aliased

from dashboard.access import Scope
from dashboard.models import Account, MonthlyTotal, Transaction, TransactionSplit
from dashboard.models.base import Money, storable_amount
from dashboard.paging import Position, decode_key, encode_key
from dashboard.search import search_text

# Amounts sort by size (money in and out alike) and descriptions by their key (case and accents ignored, the
# same on both engines, see dashboard.search.description_key; the id breaks ties).
# SORT_KEYS reads the same value from a row for the page's cursors.
SORT_COLUMNS = {"date": Transaction.date, "amount": func.abs(Transaction.amount, type_=Money()),
                "description": Transaction.description_key}
SORT_KEYS = {"date": lambda row: row.date, "amount": lambda row: abs(row.amount),
             "description": lambda row: row.description_key}
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
UNCATEGORISED = "-"
MONEY_IN, MONEY_OUT = "in", "out"


@dataclass(frozen=True)
class TransactionFilter:
    """What the user asked to see; every field comes from the URL."""

    account_id: int | None = None
    query: str = ""
    date_from: date | None = None
    date_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    category: str = ""
    status: str = ""
    direction: str = ""  # MONEY_IN, MONEY_OUT or "" for either
    sort: str = "date"
    descending: bool = True

    @property
    def narrows_rows(self) -> bool:
        """True when rows in the middle of the account's history may be left out."""
        return bool(self.query or self.amount_min is not None or self.amount_max is not None
                    or self.category or self.status or self.direction)

    @property
    def leaves_rows_out(self) -> bool:
        """True when some of the account's (or all accounts') rows may not be shown."""
        return self.narrows_rows or self.date_from is not None or self.date_to is not None


class AccountLabel(NamedTuple):
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of the transaction table as the page and the API show it: plain values, no ORM object."""

    id: int
    account_id: int
    external_id: str
    date: date
    description: str
    amount: Decimal
    currency: str
    status: str
    category: str | None
    counterparty: str | None
    note: str | None
    transfer_id: int | None
    batch_id: int | None
    source: str
    description_key: str  # the description order's key (see SORT_KEYS)
    split: bool = False  # whether it has parts: only such rows' parts are read, so most pages read none
    account: AccountLabel | None = None  # on the all-accounts table only


IS_SPLIT = exists().where(TransactionSplit.transaction_id == Transaction.id).label("split")
TABLE_COLUMNS = tuple(IS_SPLIT if f.name == "split" else getattr(Transaction, f.name)
                      for f in fields(TableRow) if f.name != "account")


@dataclass
class TransactionPage:
    rows: list[TableRow]
    has_newer: bool  # "newer" and "older" mean earlier and later in the chosen sort order
    has_older: bool
    sort: str = "date"
    balances: dict[int, Decimal] = field(default_factory=dict)

    @property
    def split_ids(self) -> list[int]:
        """The rows that have parts (see :func:`~dashboard.accounts.splits.parts_by_transaction`)."""
        return [row.id for row in self.rows if row.split]

    @property
    def first_key(self) -> str | None:
        return self._key(self.rows[0]) if self.rows else None

    @property
    def last_key(self) -> str | None:
        return self._key(self.rows[-1]) if self.rows else None

    def _key(self, row: TableRow) -> str:
        return encode_key(SORT_KEYS[self.sort](row), row.id)


def _amount_key(text: str) -> Decimal:
    amount = Decimal(text)
    if not storable_amount(amount):
        raise ValueError("an amount no Money column holds")
    return amount


def _description_key(text: str) -> str:
    if "\x00" in text:
        raise ValueError("PostgreSQL refuses text with NUL characters")
    return text


KEY_PARSERS = {"date": date.fromisoformat, "amount": _amount_key, "description": _description_key}


def page_position(after: str | None, before: str | None, last: bool, sort: str) -> Position:
    """The page the URL's cursors name in the ``sort`` order; a malformed cursor means the first page."""
    parse = KEY_PARSERS[sort]
    return Position(after=decode_key(after, parse), before=decode_key(before, parse), last=last)


def filtered_transactions(scope: Scope, filters: TransactionFilter) -> Select:
    """SELECT the transactions the scope sees matching ``filters``, unordered: the one query behind pages and
    exports."""
    query = select(Transaction).where(scope.rows(Transaction))
    if filters.account_id is not None:
        query = query.where(Transaction.account_id == filters.account_id)
    if filters.query:
        query = query.where(_matches_search(Transaction.search_text, filters.query))
    if filters.date_from:
        query = query.where(Transaction.date >= filters.date_from)
    if filters.date_to:
        query = query.where(Transaction.date <= filters.date_to)
    amounts = _amount_condition(filters)
    if amounts is not None:
        query = query.where(amounts)
    if filters.category:
        parts = aliased(TransactionSplit)  # apart from the parts an export joins
        has_parts = select(parts.transaction_id).where(parts.transaction_id == Transaction.id)
        query = query.where(or_(and_(_in_category(Transaction.category, filters.category), ~has_parts.exists()),
                                has_parts.where(part_in_category(filters, parts)).exists()))
    if filters.status:
        query = query.where(Transaction.status == filters.status)
    return query


def _matches_search(column, query: str):
    return column.contains(search_text(query), autoescape=True)


def _in_category(column, category: str):
    return column.is_(None) if category == UNCATEGORISED else column == category


def part_in_category(filters: TransactionFilter, parts=TransactionSplit):
    """The parts of a split row that the category filter asks for (every part when it asks for none).

    A split row is counted part by part, as the reports count it: it matches a category when one of its parts
    has it (its own category no longer counts), and the filtered totals and the export take only those parts.
    """
    return _in_category(parts.category, filters.category) if filters.category else true()


def _amount_condition(filters: TransactionFilter):
    """Amounts by size: "100 to 500" finds money in and out of that size, narrowed by the direction.

    A negative bound keeps its sign (``-500`` to ``-100`` is money out between 100 and 500), so links and
    bookmarks written with signed amounts still find what they did.
    """
    low, high, amount = filters.amount_min, filters.amount_max, Transaction.amount
    direction = {MONEY_IN: amount > 0, MONEY_OUT: amount < 0}.get(filters.direction)
    if (low is not None and low < 0) or (high is not None and high < 0):
        bounds = [amount >= low] if low is not None else []
        bounds += [amount <= high] if high is not None else []
        return and_(*bounds, *([direction] if direction is not None else []))
    if low is None and high is None:
        return direction
    size = SORT_COLUMNS["amount"]  # the expression the size indexes hold
    return and_(*([size >= low] if low is not None else []), *([size <= high] if high is not None else []),
                *([direction] if direction is not None else []))


@dataclass(frozen=True)
class FilteredTotals:
    """What a filtered view holds in one currency: how many rows, money in, money out and the net."""

    currency: str
    count: int
    money_in: Decimal
    money_out: Decimal

    @property
    def net(self) -> Decimal:
        return self.money_in - self.money_out


def whole_page_totals(page: TransactionPage, filters: TransactionFilter) -> list[FilteredTotals] | None:
    """:func:`filtered_totals` from the page's own rows when it holds every match (nothing before or after it),
    so a view of a few rows reads them once; None when it does not, or under a category (a split row adds only
    its parts in it, which the page's rows do not carry)."""
    if page.has_newer or page.has_older or filters.category:
        return None
    by_currency: dict[str, tuple[int, Decimal, Decimal]] = {}
    for row in page.rows:
        count, money_in, money_out = by_currency.get(row.currency, (0, Decimal(0), Decimal(0)))
        by_currency[row.currency] = (count + 1, money_in + max(row.amount, 0), money_out + max(-row.amount, 0))
    return [FilteredTotals(currency, *by_currency[currency]) for currency in sorted(by_currency)]


def filtered_totals(session: Session, scope: Scope, filters: TransactionFilter,
                    limit: int | None = None) -> list[FilteredTotals] | None:
    """The count and the in/out totals of every row the filter matches, per currency (never added across); under a
    category, a split row adds only its parts in that category.

    With a ``limit``, None when more than ``limit`` rows match: exact totals read every matching row (a common
    word matches 8 % of a million), so the page reads at most ``limit + 1`` and leaves larger totals to be asked for.
    """
    rows = filtered_transactions(scope, filters)
    rows = (rows if limit is None else rows.limit(limit + 1)).subquery()
    entries = select(rows.c.id, rows.c.currency, rows.c.amount)
    if filters.category:
        entries = (select(rows.c.id, rows.c.currency,
                          func.coalesce(TransactionSplit.amount, rows.c.amount, type_=Money()).label("amount"))
                   .outerjoin(TransactionSplit, and_(TransactionSplit.transaction_id == rows.c.id,
                                                     part_in_category(filters))))
    entries = entries.subquery()
    # Only a split row's parts repeat an id; a distinct count sorts every matching row, so it is kept for them.
    count = func.count(entries.c.id.distinct()) if filters.category else func.count()
    found = session.execute(
        select(entries.c.currency, count,
               func.sum(case((entries.c.amount > 0, entries.c.amount), else_=0), type_=Money()),
               func.sum(case((entries.c.amount < 0, -entries.c.amount), else_=0), type_=Money()))
        .group_by(entries.c.currency).order_by(entries.c.currency))
    totals = [FilteredTotals(currency, count, money_in, money_out) for currency, count, money_in, money_out in found]
    if limit is not None and sum(t.count for t in totals) > limit:
        return None
    return totals


def ordered(query: Select, filters: TransactionFilter, reverse: bool = False, keys=None) -> Select:
    """``query`` in the filter's order (``reverse``d to page backwards), the row id breaking ties; ``keys`` are the
    (sort value, id) columns when the rows come from a subquery."""
    column, row_id = keys if keys is not None else (SORT_COLUMNS[filters.sort], Transaction.id)
    descending = filters.descending != reverse
    if descending:
        return query.order_by(column.desc(), row_id.desc())
    return query.order_by(column.asc(), row_id.asc())


def transaction_page(session: Session, scope: Scope, filters: TransactionFilter, position: Position,
                     per_page: int = DEFAULT_PAGE_SIZE, ledger_balance: Decimal | None = None,
                     balance_as_of: date | None = None, account_column: bool = False) -> TransactionPage:
    """One page of the filtered rows in the chosen order, read by keyset (one indexed range scan); each row's
    account name when the filter spans accounts or the page has an ``account_column`` all the same."""
    column = SORT_COLUMNS[filters.sort]
    query = filtered_transactions(scope, replace(filters, query=""))  # the search is applied by _searched_rows
    key = None if position.last else position.after or position.before
    backwards = position.before is not None or position.last
    if key is not None:
        # Rows after the key in display order, or before it when paging back.
        later = (filters.descending != (position.before is not None))
        bound = tuple_(column, Transaction.id)
        query = query.where(bound < key if later else bound > key)
    query = query.with_only_columns(*TABLE_COLUMNS)
    with_account = account_column or filters.account_id is None
    if with_account:  # the account column, from the same query
        query = query.join(Account, Account.id == Transaction.account_id).add_columns(
            Account.name.label("account_name"))
    if filters.query:
        found = _searched_rows(session, scope, query, filters, backwards, per_page + 1)
    else:
        first = _first_in_order(scope, query, filters, backwards, per_page + 1)
        found = session.execute(ordered(select(*_shown(first)), filters, reverse=backwards,
                                        keys=(first.c.sort_key, first.c.id)).limit(per_page + 1))
    rows = _table_rows(found, with_account=with_account)
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
        page = TransactionPage(rows, has_newer=more, has_older=not position.last, sort=filters.sort)
    else:
        page = TransactionPage(rows, has_newer=position.after is not None, has_older=more, sort=filters.sort)
    if ledger_balance is not None and shows_running_balance(filters) and rows:
        page.balances = running_balances(session, scope, filters.account_id, ledger_balance, rows, balance_as_of)
    return page


SEARCH_WINDOW = 2000  # rows a search reads in the page's order before it takes its words for rare ones


def _first_in_order(scope: Scope, query: Select, filters: TransactionFilter, backwards: bool, limit: int, *extra):
    """A subquery of ``query``'s first ``limit`` rows in the page's order, with their ``sort_key`` and ``extra``
    columns. Across the accounts of a scope with shared ones, the first rows of each of its parts
    (:meth:`Scope.row_parts`) merged: one ordered index range each, instead of every visible row sorted."""
    query = query.add_columns(SORT_COLUMNS[filters.sort].label("sort_key"), *extra)
    parts = scope.row_parts(Transaction) if filters.account_id is None else []
    if len(parts) < 2:
        return ordered(query, filters, reverse=backwards).limit(limit).subquery("first")
    pieces = [ordered(query.where(part), filters, reverse=backwards).limit(limit).subquery() for part in parts]
    return union_all(*(select(*piece.c) for piece in pieces)).subquery("first")


def _searched_rows(session: Session, scope: Scope, query: Select, filters: TransactionFilter, backwards: bool,
                   limit: int):
    """The first ``limit`` rows of ``query`` in the page's order that the search matches.

    PostgreSQL guesses how many rows a word matches from the whole table, not from the account: with
    "netflix" in 10,000 rows of another account and 24 of this one, it walked this account's half a million
    rows in date order for 3 s looking for 51. So the first SEARCH_WINDOW rows in the page's order are searched
    (a bounded read, whatever the guess), which finds a page of a common word (8 % of rows: 640 read); a
    search that finds fewer there reads every match through the trigram index instead (MATERIALIZED, so
    the LIMIT cannot draw the planner back to the ordered walk) and sorts them.
    """
    window = _first_in_order(scope, query, filters, backwards, SEARCH_WINDOW, Transaction.search_text)
    rows = session.execute(
        ordered(select(*_shown(window)).where(_matches_search(window.c.search_text, filters.query)), filters,
                reverse=backwards, keys=(window.c.sort_key, window.c.id)).limit(limit)).all()
    if len(rows) == limit:
        return rows
    matching = (query.where(_matches_search(Transaction.search_text, filters.query))
                .add_columns(SORT_COLUMNS[filters.sort].label("sort_key")).cte("matching").prefix_with("MATERIALIZED"))
    return session.execute(ordered(select(*_shown(matching)), filters, reverse=backwards,
                                   keys=(matching.c.sort_key, matching.c.id)).limit(limit)).all()


def _shown(rows) -> list:
    """The table's columns of a subquery over ``transaction_page``'s query (without its helper columns)."""
    return [column for column in rows.c if column.key not in ("sort_key", "search_text")]


def _table_rows(result, with_account: bool) -> list[TableRow]:
    """Core rows of the shown columns: building 50 ORM objects (and their accounts) cost more than the SQL."""
    if not with_account:
        return [TableRow(*row) for row in result]
    return [TableRow(*row[:-1], account=AccountLabel(row.account_id, row[-1])) for row in result]


def shows_running_balance(filters: TransactionFilter) -> bool:
    """A running balance needs one account's rows in date order with none left out in between."""
    return filters.account_id is not None and filters.sort == "date" and not filters.narrows_rows


def running_balances(session: Session, scope: Scope, account_id: int, ledger_balance: Decimal,
                     rows: list[TableRow], balance_as_of: date | None = None) -> dict[int, Decimal]:
    """The balance after each row, counted back from the ledger balance.

    What came after the newest row on the page is the monthly totals of later
    months plus that row's own month: summed from the row to the month's end,
    or (early in the month) the month's total less the rows up to it. So a
    page deep in a million rows reads at most half a month of rows. Rows dated
    after ``balance_as_of`` (a later file without a balance) are not in the
    ledger balance, so the balance after the newest row has them on top.
    """
    newest_first = sorted(rows, key=lambda t: (t.date, t.id), reverse=True)
    newest = newest_first[0]
    month = newest.date.replace(day=1)
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    later = MonthlyTotal.month >= next_month
    this = MonthlyTotal.month == month
    place, key = tuple_(Transaction.date, Transaction.id), (newest.date, newest.id)
    early = newest.date.day <= 15
    part_of_month = select(func.sum(Transaction.amount)).where(
        scope.rows(Transaction), Transaction.account_id == account_id, Transaction.date >= month,
        Transaction.date < next_month, place <= key if early else place > key,
    ).scalar_subquery()
    after_balance = literal(None, Money()) if balance_as_of is None else select(func.sum(Transaction.amount)).where(
        scope.rows(Transaction), Transaction.account_id == account_id, Transaction.date > balance_as_of,
    ).scalar_subquery()
    # One statement: on a busy server each round trip waits longer than these small sums run.
    later_income, later_expense, month_income, month_expense, part_of_month, after_balance = session.execute(
        select(*(func.sum(case((when, column), else_=0)) for when in (later, this)
                 for column in (MonthlyTotal.income, MonthlyTotal.expense)),
               type_coerce(part_of_month, Money()), type_coerce(after_balance, Money()))
        .where(scope.rows(MonthlyTotal), MonthlyTotal.account_id == account_id, MonthlyTotal.month >= month)
    ).one()
    part_of_month = part_of_month or 0
    later_this_month = (month_income or 0) - (month_expense or 0) - part_of_month if early else part_of_month
    balance = ledger_balance - (later_income or 0) + (later_expense or 0) - later_this_month + (after_balance or 0)
    balances = {}
    for row in newest_first:
        balances[row.id] = balance
        balance -= row.amount
    return balances


def account_names(session: Session, scope: Scope) -> list[tuple[int, str]]:
    """(id, name) of every account the scope sees, by name: the filter's account choices."""
    rows = session.execute(select(Account.id, Account.name).where(scope.accounts()).order_by(Account.name))
    return [(account_id, name) for account_id, name in rows]


def categories_in_use(session: Session, scope: Scope, account_id: int | None = None) -> list[str]:
    """Categories the scope's transactions carry, read from the monthly totals (thousands of rows, not millions)."""
    query = select(MonthlyTotal.category).where(scope.rows(MonthlyTotal), MonthlyTotal.category != "")
    if account_id is not None:
        query = query.where(MonthlyTotal.account_id == account_id)
    return list(session.scalars(query.distinct().order_by(MonthlyTotal.category)))


def categories_in_use_and_in(session: Session, scope: Scope, account_id: int) -> tuple[list[str], list[str]]:
    """:func:`categories_in_use` in every account and in ``account_id``, from one statement (the account page
    shows both: a round trip is most of a small query's cost)."""
    pairs = session.execute(
        select(MonthlyTotal.category, MonthlyTotal.account_id == account_id)
        .where(scope.rows(MonthlyTotal), MonthlyTotal.category != "").distinct()
    ).all()
    return (sorted({category for category, _ in pairs}),
            sorted({category for category, in_account in pairs if in_account}))
