"""The transaction table's rows (dashboard/accounts/table_html.py): what each cell shows and links to, and that
text from a bank file or another user renders as text, never as markup."""
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, select

from dashboard.access import Scope
from dashboard.accounts.shares import share_account
from dashboard.accounts.splits import Part, split_transaction
from dashboard.audit import Actor
from dashboard.models import Transaction
from tests import factories
from tests.html_tables import page_tables

HOSTILE = {"description": '<script>alert("row")</script> Tom\'s & "Co"', "note": "</td><script>alert(2)</script>",
           "category": '"><img src=x onerror=alert(3)>', "counterparty": "<i>Bob & Alice</i>"}
ACCOUNT_NAME = '<b onmouseover="alert(4)">Joint</b>'


class TableBody(HTMLParser):
    """The tags and attributes inside the transaction table's body, as a browser would build them."""

    def __init__(self):
        super().__init__()
        self.inside, self.tags, self.attributes = False, set(), []

    def handle_starttag(self, tag, attrs):
        if tag == "tbody" and ("id", "transactions") in attrs:
            self.inside = True
        elif self.inside:
            self.tags.add(tag)
            self.attributes += attrs

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.inside = False


def _body(html: str) -> TableBody:
    body = TableBody()
    body.feed(html)
    return body


@pytest.fixture
def shared_hostile_row(db, user):
    """A row full of markup, in another user's account shared with the signed-in user."""
    owner = factories.create_user(db.session, "owner@example.com")
    account = factories.create_account(db.session, owner, name=ACCOUNT_NAME)
    factories.add_transactions(db.session, account, [("2024-03-02", "-12.50", HOSTILE["description"],
                                                      HOSTILE["category"])],
                               note=HOSTILE["note"], counterparty=HOSTILE["counterparty"])
    share_account(db.session, Scope.of_user(owner.id), Actor(owner.id), account, user.email)
    db.session.commit()
    return account


@pytest.mark.parametrize("page", ["/transactions", "/accounts/{id}", "/"])
def test_markup_in_a_row_renders_as_text(auth_client, shared_hostile_row, page):
    html = auth_client.get(page.format(id=shared_hostile_row.id)).get_data(as_text=True)
    body = _body(html)
    assert body.tags <= {"td", "tr", "a", "div", "span", "input"}  # no script, img, b or i came through
    assert not [name for name, _value in body.attributes if name.startswith("on")]
    cells = page_tables(html).body_rows["transactions-table"][0]
    for text in HOSTILE.values():
        assert " ".join(text.split()) in " ".join(cells)
    if page == "/":
        return  # the dashboard's latest rows have no checkboxes
    labels = [value for name, value in body.attributes if name == "aria-label"]
    assert labels == [f"Select {HOSTILE['description']} on 02 Mar 2024"]


def test_the_account_column_names_a_shared_account_and_its_owner(auth_client, shared_hostile_row):
    html = auth_client.get("/transactions").get_data(as_text=True)
    cells = page_tables(html).body_rows["transactions-table"][0]
    assert cells[3] == f"{ACCOUNT_NAME} shared by owner@example.com"
    assert 'title="Shared with you by owner@example.com"' in html


def test_each_row_links_to_its_edit_page_and_back_to_the_same_view(auth_client, db, user):
    account = factories.create_account(db.session, user, name="Everyday")
    factories.add_transactions(db.session, account, [("2024-03-01", "-2", "Tea"), ("2024-03-02", "-3", "Cake")])
    db.session.commit()
    ids = {row.description: row.id for row in db.session.scalars(
        select(Transaction).where(Transaction.account_id == account.id))}
    view = "/transactions?q=a&sort=-amount"
    links = page_tables(auth_client.get(view).get_data(as_text=True)).row_links["transactions-table"][1:]
    for (edit, account_link), description in zip(links, ["Cake", "Tea"]):
        url = urlsplit(edit)
        assert url.path == f"/transactions/{ids[description]}"
        assert parse_qs(url.query) == {"next": [view]}
        assert account_link == f"/accounts/{account.id}"


def test_all_transactions_filtered_to_one_account_still_names_it(auth_client, db, user):
    account = factories.create_account(db.session, user, name="Everyday")
    factories.create_account(db.session, user, name="Savings")
    factories.add_transactions(db.session, account, [("2024-03-01", "-2", "Tea")])
    db.session.commit()
    html = auth_client.get(f"/transactions?account={account.id}").get_data(as_text=True)
    assert [row[3] for row in page_tables(html).body_rows["transactions-table"]] == ["Everyday"]


def _page_and_parts_statements(client, db, url: str) -> tuple[str, int]:
    """The page's HTML and how many statements read its rows' parts."""
    reads = []

    def listener(_connection, _cursor, statement, *_args):
        if "FROM transaction_splits" in statement and "EXISTS" not in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        html = client.get(url).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return html, len(reads)


def test_only_a_page_with_a_split_row_reads_parts_and_shows_them(auth_client, db, user):
    account = factories.create_account(db.session, user, name="Everyday")
    factories.add_transactions(db.session, account, [("2024-03-01", "-30", "Shop"), ("2024-03-02", "-2", "Tea")])
    db.session.commit()
    html, reads = _page_and_parts_statements(auth_client, db, "/transactions")
    assert reads == 0 and "split" not in " ".join(page_tables(html).body_rows["transactions-table"][1])
    shop = db.session.scalar(select(Transaction).where(Transaction.description == "Shop"))
    split_transaction(db.session, Scope.of_user(user.id), Actor(user.id), shop,
                      [Part(Decimal("-20"), "Groceries"), Part(Decimal("-10"))])
    db.session.commit()
    html, reads = _page_and_parts_statements(auth_client, db, "/transactions")
    rows = page_tables(html).body_rows["transactions-table"]
    assert reads == 1 and [row[2] for row in rows] == ["Tea", "Shop"]
    assert rows[1][5] == "split Groceries -£20.00, Uncategorised -£10.00"
