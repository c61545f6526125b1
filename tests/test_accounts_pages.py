"""The account page and /transactions: what a user sees, finds, sorts and pages."""
import re
import warnings
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import unquote

from werkzeug.datastructures import MultiDict

from dashboard.accounts.forms import TransactionFilterForm
from dashboard.models import Transaction
from tests import factories
from tests.html_tables import page_tables


def _cells(html: str) -> list[list[str]]:
    """The text of every body row of the transaction table (none when the page has no table)."""
    return page_tables(html).body_rows.get("transactions-table", [])


def _descriptions(html: str) -> list[str]:
    return [cells[2] for cells in _cells(html)]


def _link(html: str, label: str) -> str:
    match = re.search(r'href="([^"]+)">' + label + "</a>", html)
    assert match, f"no {label} link"
    return match.group(1).replace("&amp;", "&")


def _account(db, user, **fields):
    return factories.create_account(db.session, user, name="Everyday", institution="Northwind Bank",
                                    last_four="4821", type="checking", **fields)


def test_account_page_shows_details_balances_and_the_table(auth_client, db, user):
    account = _account(db, user, ledger_balance=Decimal("1000.00"), available_balance=Decimal("950.00"),
                      opening_balance=Decimal("-937.50"))  # the stated 1000 includes the three rows below
    factories.add_transactions(db.session, account, [("2024-03-01", "-12.50", "Tesco", "Groceries"),
                                                     ("2024-03-02", "2000", "Salary")])
    factories.add_pending(db.session, account, "2024-03-03", "-50.00", "Hotel hold")
    html = auth_client.get(f"/accounts/{account.id}").get_data(as_text=True)
    assert "Everyday" in html and "Northwind Bank" in html and "4821" in html
    assert "£1,000.00" in html and "£950.00" in html
    header = re.search(r"<thead>.*?</thead>", html, re.DOTALL).group(0)
    for label in ("Date", "Description", "Counterparty", "Category", "Status", "Amount", "Balance"):
        assert label in header
    rows = _cells(html)
    assert [r[2] for r in rows] == ["Hotel hold", "Salary", "Tesco"]
    assert "pending" in rows[0][5]
    assert rows[2][6] == "-£12.50"
    # Balances run back from the ledger balance: 1000 after the newest row.
    assert [r[7] for r in rows] == ["£1,000.00", "£1,050.00", "-£950.00"]
    assert re.search(r'<label[^>]*for="q"[^>]*>Search</label>', html)


def test_search_is_case_insensitive_and_unicode(auth_client, db, user):
    account = _account(db, user)
    factories.add_transactions(db.session, account, [("2024-03-01", "-3", "CAFÉ DE FLORE"),
                                                     ("2024-03-02", "-4", "Cafe without accent"),
                                                     ("2024-03-03", "-5", "Tesco")])
    factories.add_transactions(db.session, account, [("2024-03-04", "-6", "Card payment")],
                               counterparty="Straße Bäckerei")
    both = ["Cafe without accent", "CAFÉ DE FLORE"]  # accents are ignored both ways
    assert _descriptions(auth_client.get(f"/accounts/{account.id}?q=café").get_data(as_text=True)) == both
    assert _descriptions(auth_client.get(f"/accounts/{account.id}?q=cafe").get_data(as_text=True)) == both
    assert _descriptions(auth_client.get(f"/accounts/{account.id}?q=STRASSE").get_data(as_text=True)) == ["Card payment"]
    assert _descriptions(auth_client.get(f"/accounts/{account.id}?q=100%25").get_data(as_text=True)) == []


def test_filters_combine_and_empty_results_say_so(auth_client, db, user):
    account = _account(db, user)
    factories.add_transactions(db.session, account, [
        ("2024-01-05", "-20", "January groceries", "Groceries"),
        ("2024-02-05", "-30", "February groceries", "Groceries"),
        ("2024-02-06", "-300", "February rent", "Rent"),
        ("2024-03-05", "-40", "March groceries", "Groceries"),
        ("2024-02-07", "-5", "Uncategorised thing"),
    ])
    url = f"/accounts/{account.id}"
    html = auth_client.get(f"{url}?date_from=2024-02-01&date_to=2024-02-28&category=Groceries").get_data(as_text=True)
    assert _descriptions(html) == ["February groceries"]
    html = auth_client.get(f"{url}?amount_min=-100&amount_max=-25").get_data(as_text=True)
    assert _descriptions(html) == ["March groceries", "February groceries"]
    assert _descriptions(auth_client.get(f"{url}?category=-").get_data(as_text=True)) == ["Uncategorised thing"]
    assert _descriptions(auth_client.get(f"{url}?status=pending").get_data(as_text=True)) == []
    html = auth_client.get(f"{url}?q=nothing-like-this").get_data(as_text=True)
    assert "No transactions match these filters" in html


def test_a_bad_filter_value_is_reported_not_a_server_error(auth_client, db, user):
    account = _account(db, user)
    factories.add_transactions(db.session, account, [("2024-01-05", "-20", "Groceries")])
    response = auth_client.get(f"/accounts/{account.id}?date_from=31/02/2024&amount_min=lots&per_page=7"
                               "&sort=secret&after=garbage")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not a valid date value" in html and "Not a valid decimal value" in html
    assert _descriptions(html) == ["Groceries"]
    # Each error sits under its field and is what a screen reader reads for that control.
    for name in ("date_from", "amount_min"):
        control = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert f'aria-describedby="{name}-error"' in control
        assert re.search(rf'id="{name}-error">Not a valid \w+ value', html)


def test_sorting_by_each_column_in_both_directions(auth_client, db, user):
    account = _account(db, user)
    factories.add_transactions(db.session, account, [("2024-01-01", "-5", "Banana"), ("2024-01-02", "10", "apple"),
                                                     ("2024-01-03", "-50", "Cherry")])
    url = f"/accounts/{account.id}?sort="
    assert _descriptions(auth_client.get(url + "date").get_data(as_text=True)) == ["Banana", "apple", "Cherry"]
    # Amounts sort by size, money in and out alike; descriptions ignore case.
    assert _descriptions(auth_client.get(url + "-amount").get_data(as_text=True)) == ["Cherry", "apple", "Banana"]
    assert _descriptions(auth_client.get(url + "amount").get_data(as_text=True)) == ["Banana", "apple", "Cherry"]
    assert _descriptions(auth_client.get(url + "description").get_data(as_text=True)) == ["apple", "Banana", "Cherry"]
    assert _descriptions(auth_client.get(url + "-description").get_data(as_text=True)) == ["Cherry", "Banana", "apple"]


def _many(db, account, count: int, start=date(2024, 1, 1)):
    factories.add_transactions(db.session, account, [
        (start + timedelta(days=n // 3), f"-{n + 1}", f"Row {n:03d}") for n in range(count)
    ])


def test_keyset_pages_walk_every_row_once_both_ways(auth_client, db, user):
    account = _account(db, user, ledger_balance=Decimal(0), opening_balance=Decimal(sum(range(1, 61))))
    _many(db, account, 60)  # the stated 0 comes after these 60 payments
    url = f"/accounts/{account.id}?per_page=25"
    first = auth_client.get(url).get_data(as_text=True)
    second = auth_client.get(_link(first, "Next")).get_data(as_text=True)
    third = auth_client.get(_link(second, "Next")).get_data(as_text=True)
    seen = _descriptions(first) + _descriptions(second) + _descriptions(third)
    assert seen == [f"Row {n:03d}" for n in reversed(range(60))]
    assert 'class="page-item disabled"><a class="page-link" rel="next"' in third
    assert _descriptions(auth_client.get(_link(third, "Previous")).get_data(as_text=True)) == _descriptions(second)
    last = auth_client.get(_link(first, "Last")).get_data(as_text=True)
    assert _descriptions(last) == [f"Row {n:03d}" for n in reversed(range(25))]
    # Balances run back from the ledger balance (0) and continue across pages, whether the
    # page's newest row falls late (20 Jan) or early (12 Jan) in its month.
    assert [_cells(first)[0][7], _cells(first)[1][7]] == ["£0.00", "£60.00"]
    assert _cells(second)[0][7] == "£" + f"{sum(range(36, 61)):,}.00"


def test_filter_state_lives_in_the_url(auth_client, db, user):
    account = _account(db, user)
    _many(db, account, 30)
    html = auth_client.get(f"/accounts/{account.id}?q=row&per_page=25&sort=amount").get_data(as_text=True)
    assert "q=row" in _link(html, "Next") and "sort=amount" in _link(html, "Next")
    assert 'value="row"' in html
    export = re.search(r'href="([^"]+export\.csv[^"]*)"', html).group(1)
    assert "q=row" in export and "sort=amount" in export


def test_all_transactions_has_an_account_column_and_filter(auth_client, db, user):
    checking = _account(db, user)
    savings = factories.create_account(db.session, user, name="Savings")
    factories.add_transactions(db.session, checking, [("2024-01-01", "-5", "From checking")])
    factories.add_transactions(db.session, savings, [("2024-01-02", "50", "From savings")])
    html = auth_client.get("/transactions").get_data(as_text=True)
    assert [(row[2], row[3]) for row in _cells(html)] == [("From savings", "Savings"), ("From checking", "Everyday")]
    html = auth_client.get(f"/transactions?account={checking.id}").get_data(as_text=True)
    assert _descriptions(html) == ["From checking"]
    assert 'href="/transactions"' in auth_client.get("/").get_data(as_text=True)


def test_statement_count_does_not_grow_with_rows(auth_client, db, user, statements_of):
    def _statements(client, db, url: str) -> int:
        # The test shares the requests' session: start each from nothing loaded, as a real request does.
        db.session.expire_all()
        count, response = statements_of(lambda: client.get(url))
        assert response.status_code == 200
        return count

    account = _account(db, user, ledger_balance=Decimal(10))
    other = factories.create_account(db.session, user, name="Other")
    factories.add_transactions(db.session, account, [("2024-01-01", "-1", "one row")])
    factories.add_transactions(db.session, other, [("2024-01-01", "-1", "one row")])
    urls = (f"/accounts/{account.id}", "/transactions", "/transactions?q=row", f"/accounts/{account.id}?last=1")
    few = [_statements(auth_client, db, url) for url in urls]
    _many(db, account, 120)
    _many(db, other, 120, start=date(2023, 1, 1))
    db.session.execute(Transaction.__table__.update().values(category="Groceries"))
    db.session.commit()
    assert [_statements(auth_client, db, url) for url in urls] == few


def test_csv_download_has_exactly_the_filtered_rows_without_paging(auth_client, db, user):
    account = _account(db, user)
    _many(db, account, 60)
    factories.add_transactions(db.session, account, [("2024-06-01", "-1", "Something else")])
    response = auth_client.get(f"/accounts/{account.id}/export.csv?q=ROW&per_page=25&sort=amount&after=1:-1")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == ("account,date,description,amount,currency,status,category,counterparty,external_id,"
                        "note,nominal_code,shared_by")
    assert len(lines) == 61
    assert lines[1].startswith("Everyday,2024-01-01,Row 000,-1.00,GBP,posted")  # smallest amount first
    assert lines[-1].startswith("Everyday,2024-01-20,Row 059,-60.00,GBP,posted")
    everything = auth_client.get("/transactions/export.csv").get_data(as_text=True).splitlines()
    assert len(everything) == 62


def test_filter_form_uses_no_deprecated_wtforms_choices():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        form = TransactionFilterForm(MultiDict({"per_page": "25", "status": "posted", "sort": "amount"}),
                                     accounts=[(1, "Everyday")], categories=["Groceries"])
        assert form.validate() and form.to_filter().sort == "amount"
        assert 'value="Groceries"' in form.category() and 'selected value="25"' in form.per_page()


def test_amounts_the_database_cannot_hold_are_reported_not_a_server_error(auth_client, db, user):
    account = _account(db, user)
    factories.add_transactions(db.session, account, [("2024-01-05", "-20", "Groceries")])
    for value in ("1.23456", "NaN", "Infinity", "1e30", "-99999999999999999999"):
        response = auth_client.get(f"/accounts/{account.id}?amount_min={value}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, value
        assert "Not a valid amount" in html and _descriptions(html) == ["Groceries"], value
        assert auth_client.get(f"/transactions/export.csv?amount_max={value}").status_code == 200, value
    for cursor in ("1:1e40", "1:NaN", "1:0.000001"):
        response = auth_client.get(f"/accounts/{account.id}?sort=amount&after={cursor}")
        assert response.status_code == 200 and _descriptions(response.get_data(as_text=True)) == ["Groceries"]


def test_nul_characters_in_the_url_are_ignored_on_both_engines(auth_client, db, user):
    account = _account(db, user)
    factories.add_transactions(db.session, account, [("2024-01-05", "-20", "Groceries")])
    for query in ("q=caf%00", "category=Food%00", "sort=description&after=1:a%00b"):
        response = auth_client.get(f"/accounts/{account.id}?{query}")
        assert response.status_code == 200, query
        assert _descriptions(response.get_data(as_text=True)) == ["Groceries"], query


def test_unknown_query_arguments_leave_the_page_and_its_links_alone(auth_client, db, user):
    account = _account(db, user)
    _many(db, account, 30)
    response = auth_client.get(f"/accounts/{account.id}?per_page=25&account_id=999&endpoint=x&_method=POST"
                               "&_external=1&amount_min=lots")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(_descriptions(html)) == 25
    following = _link(html, "Next")
    assert following.startswith(f"/accounts/{account.id}?per_page=25&after=")
    assert len(_descriptions(auth_client.get(following).get_data(as_text=True))) == 5


def test_last_page_wins_over_a_cursor_in_the_same_url(auth_client, db, user):
    account = _account(db, user)
    _many(db, account, 30)
    html = auth_client.get(f"/accounts/{account.id}?per_page=25&last=1&after=1:2024-01-05").get_data(as_text=True)
    assert _descriptions(html)[-1] == "Row 000" and len(_descriptions(html)) == 25


def test_ids_too_large_for_the_database_answer_404(auth_client, db, user):
    huge = 2 ** 64
    for path in (f"/accounts/{huge}", f"/accounts/{huge}/export.csv", f"/transactions/{huge}"):
        assert auth_client.get(path).status_code == 404, path
    assert auth_client.post(f"/transactions/{huge}", data={"category": "x"}).status_code == 404
    assert auth_client.post("/transactions/categorise", data={"ids": [str(huge)], "category": "x"}).status_code == 404


def test_download_of_an_account_named_in_cyrillic(auth_client, db, user):
    account = factories.create_account(db.session, user, name="Сбережения €")
    factories.add_transactions(db.session, account, [("2024-01-05", "-20", "Groceries")])
    response = auth_client.get(f"/accounts/{account.id}/export.csv")
    disposition = response.headers["Content-Disposition"]
    disposition.encode("latin-1")  # what every server must send
    assert 'filename="' in disposition
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "Сбережения €.csv"
    assert response.get_data(as_text=True).splitlines()[1].startswith("Сбережения €,2024-01-05,Groceries,-20.00")


def test_each_label_on_the_page_names_its_own_field(auth_client, db, user):
    account = _account(db, user)
    factories.add_transactions(db.session, account, [("2024-01-05", "-20", "Groceries")])
    for url in (f"/accounts/{account.id}", "/transactions"):
        html = auth_client.get(url).get_data(as_text=True)
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
        for target in re.findall(r'<label[^>]*for="([^"]+)"', html):
            assert f'id="{target}"' in html


def test_running_balance_counts_rows_after_the_balance_date_on_top_of_it(auth_client, db, user):
    """A statement said 1,000.00 on 31 January; a later file added February without a balance."""
    account = _account(db, user, ledger_balance=Decimal("1000.00"), balance_as_of=datetime(2024, 1, 31, 23, 0),
                       opening_balance=Decimal("1050.00"))  # 1000 on 31 January less the January rows
    factories.add_transactions(db.session, account, [("2024-01-10", "-100", "January shop"),
                                                     ("2024-01-31", "50", "Refund on the statement day"),
                                                     ("2024-02-05", "-30", "February shop"),
                                                     ("2024-02-20", "-20", "Later February shop")])
    rows = _cells(auth_client.get(f"/accounts/{account.id}").get_data(as_text=True))
    assert [(r[2], r[7]) for r in rows] == [("Later February shop", "£950.00"), ("February shop", "£970.00"),
                                            ("Refund on the statement day", "£1,000.00"),
                                            ("January shop", "£950.00")]
    oldest_first = _cells(auth_client.get(f"/accounts/{account.id}?sort=date&per_page=25").get_data(as_text=True))
    assert [r[7] for r in oldest_first] == ["£950.00", "£1,000.00", "£970.00", "£950.00"]
