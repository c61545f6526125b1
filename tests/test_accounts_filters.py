"""The transaction filters as a person reads them: sizes, directions, order, search, totals and bad values."""
import csv
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from dashboard.access import Scope
from dashboard.accounts import transaction_queries
from dashboard.accounts.shares import share_account
from dashboard.accounts.splits import Part, split_transaction
from dashboard.audit import Actor
from dashboard.ledger import update_transactions
from dashboard.models import Transaction
from tests import factories
from tests.html_tables import page_tables

ROWS = [
    ("2024-03-01", "-3100", "Rent"), ("2024-03-02", "-250", "iCloud storage"), ("2024-03-03", "400", "Refund"),
    ("2024-03-04", "-4.50", "Café Nero"), ("2024-03-05", "2500", "Salary"), ("2024-03-06", "-120", "Electricity"),
]


def _account(db, user):
    account = factories.create_account(db.session, user, name="Everyday")
    factories.add_transactions(db.session, account, ROWS)
    return account


def _descriptions(html: str) -> list[str]:
    return [cells[2] for cells in page_tables(html).body_rows.get("transactions-table", [])]


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _summary(html: str) -> str:
    found = re.search(r'id="result-summary"[^>]*>(.*?)</div>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", "", found).split())


def test_an_amount_range_finds_money_in_and_out_of_that_size_or_one_direction(auth_client, db, user):
    url = f"/accounts/{_account(db, user).id}?sort=date&amount_min=100&amount_max=500"
    assert _descriptions(_get(auth_client, url)) == ["iCloud storage", "Refund", "Electricity"]
    assert _descriptions(_get(auth_client, url + "&direction=out")) == ["iCloud storage", "Electricity"]
    assert _descriptions(_get(auth_client, url + "&direction=in")) == ["Refund"]
    # Signed bounds, as older links wrote them, still mean money out of that size.
    signed = url.replace("amount_min=100&amount_max=500", "amount_min=-500&amount_max=-100")
    assert _descriptions(_get(auth_client, signed)) == ["iCloud storage", "Electricity"]


def test_smallest_amount_first_is_by_size_and_description_order_ignores_case(auth_client, db, user):
    url = f"/accounts/{_account(db, user).id}?sort="
    assert _descriptions(_get(auth_client, url + "amount"))[:2] == ["Café Nero", "Electricity"]
    assert _descriptions(_get(auth_client, url + "-amount"))[0] == "Rent"
    assert _descriptions(_get(auth_client, url + "-description")) == [
        "Salary", "Rent", "Refund", "iCloud storage", "Electricity", "Café Nero"]


def test_description_order_ignores_case_and_accents_and_only_the_description_counts(auth_client, db, user):
    account = factories.create_account(db.session, user, name="Sorted")
    factories.add_transactions(db.session, account, [
        ("2024-01-01", "-1", "Zebra"), ("2024-01-02", "-1", "iCloud"), ("2024-01-03", "-1", "Café"),
        ("2024-01-04", "-1", "cafe"), ("2024-01-05", "-1", "Cafe Nero"), ("2024-01-06", "-1", "Éclair")])
    # The counterparty is searched, but it does not move a row in the description order ("cafe zed" sorted
    # after "cafe nero" when the order read the search text).
    zebra, cafe = (db.session.scalar(select(Transaction.id).where(Transaction.description == name))
                   for name in ("Zebra", "cafe"))
    update_transactions(db.session, Scope.of_user(user.id), [cafe], counterparty="Zed Ltd")
    url = f"/accounts/{account.id}?sort="
    assert _descriptions(_get(auth_client, url + "description")) == [
        "Café", "cafe", "Cafe Nero", "Éclair", "iCloud", "Zebra"]  # equal keys keep the order they came in
    assert _descriptions(_get(auth_client, url + "-description")) == [
        "Zebra", "iCloud", "Éclair", "Cafe Nero", "cafe", "Café"]
    assert _descriptions(_get(auth_client, "/transactions?sort=description"))[:2] == ["Café", "cafe"]
    # An edited description takes its new place.
    update_transactions(db.session, Scope.of_user(user.id), [zebra], description="ábaco")
    assert _descriptions(_get(auth_client, url + "description"))[0] == "ábaco"


def test_search_ignores_accents_and_covers_notes_and_references(auth_client, db, user):
    account = _account(db, user)
    factories.add_transactions(db.session, account, [("2024-03-07", "-9.99", "Card payment")],
                               external_ids=["ofx:INV-20240307-77"])
    url = f"/accounts/{account.id}?q="
    assert _descriptions(_get(auth_client, url + "cafe")) == ["Café Nero"]
    assert _descriptions(_get(auth_client, url + "CAFÉ")) == ["Café Nero"]
    assert _descriptions(_get(auth_client, url + "inv-20240307")) == ["Card payment"]
    row_id = db.session.scalar(select(Transaction.id).where(Transaction.description == "Rent"))
    auth_client.post(f"/transactions/{row_id}", data={"category": "Home", "note": "Landlord: Mr Ōtani"})
    assert _descriptions(_get(auth_client, url + "otani")) == ["Rent Landlord: Mr Ōtani"]  # the note shows under it


def test_a_filtered_view_shows_its_count_and_in_out_net_totals(auth_client, db, user):
    account = _account(db, user)
    summary = _summary(_get(auth_client, f"/accounts/{account.id}?amount_min=100&amount_max=500"))
    assert "3 transactions match" in summary
    assert "in £400.00, out -£370.00, net £30.00" in summary
    assert _summary(_get(auth_client, f"/accounts/{account.id}")).startswith("6 transactions")
    assert _summary(_get(auth_client, f"/accounts/{account.id}?q=rent")).startswith("1 transaction matches ·")


def test_from_after_to_says_so_and_a_bad_value_stays_in_its_field(auth_client, db, user):
    account = _account(db, user)
    html = _get(auth_client, f"/accounts/{account.id}?date_from=2024-03-05&date_to=2024-03-01&amount_min=12,5x")
    assert "To: 01 Mar 2024 is before From (05 Mar 2024): swap them or change one." in html
    assert "No transactions match" not in html
    control = re.search(r'<input[^>]*name="amount_min"[^>]*>', html).group(0)
    assert 'value="12,5x"' in control and 'aria-describedby="amount_min-error"' in control
    html = _get(auth_client, f"/accounts/{account.id}?date_from=2024-02-31")
    control = re.search(r'<input[^>]*name="date_from"[^>]*>', html).group(0)
    assert 'value="2024-02-31"' in control and 'type="text"' in control


def test_the_filters_fold_on_a_phone_and_open_with_their_count_when_one_is_set(auth_client, db, user):
    account = _account(db, user)
    plain = _get(auth_client, f"/accounts/{account.id}")
    assert 'class="collapse d-md-block" id="filter-fields"' in plain
    filtered = _get(auth_client, f"/accounts/{account.id}?q=rent&direction=out")
    assert 'class="collapse d-md-block show" id="filter-fields"' in filtered
    assert "2 active" in filtered


def test_the_csv_download_carries_notes_and_nominal_codes(auth_client, db, user):
    account = factories.create_account(db.session, user, name="Ledger")
    factories.add_transactions(db.session, account, [("2024-03-01", "-10", "Stationery")], nominal_code="7500",
                               note="=HYPERLINK(\"x\")")
    rows = list(csv.DictReader(io.StringIO(auth_client.get(f"/accounts/{account.id}/export.csv").get_data(as_text=True))))
    assert rows[0]["nominal_code"] == "7500"
    assert rows[0]["note"] == "'=HYPERLINK(\"x\")"  # neutralised: a spreadsheet shows it, never runs it


def test_the_xlsx_download_has_real_numbers_dates_and_a_frozen_header(auth_client, db, user):
    from datetime import datetime
    from decimal import Decimal

    import openpyxl

    account = _account(db, user)
    factories.add_transactions(db.session, account, [("2024-03-09", "-1", "=cmd|' /C calc'!A0")])
    response = auth_client.get(f"/accounts/{account.id}/export.xlsx?direction=out&sort=date")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["account", "date", "description", "amount"] and "nominal_code" in header
    rent = sheet[2]
    assert rent[1].value == datetime(2024, 3, 1) and rent[1].is_date
    assert Decimal(str(rent[3].value)) == Decimal("-3100") and '"GBP"' in rent[3].number_format
    last = sheet[sheet.max_row]
    assert last[2].value == "=cmd|' /C calc'!A0" and last[2].data_type == "s"  # shown, never run
    assert sheet.max_row == 1 + 5  # the money out only, as the page shows


def test_every_report_downloads_as_a_workbook_too(auth_client, db, user):
    import openpyxl

    _account(db, user)
    for url in ("/reports/income-and-expenses", "/reports/categories", "/reports/balances",
                "/reports/profit-and-loss"):
        page = auth_client.get(url).get_data(as_text=True)
        assert "format=xlsx" in page and "Download XLSX" in page
        response = auth_client.get(url + "?period=custom&start=2024-01&end=2024-03&format=xlsx")
        assert response.status_code == 200, url
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        assert sheet.freeze_panes == "A2" and sheet.max_row >= 1


def test_pages_by_description_and_by_size_walk_every_row_once(auth_client, db, user):
    account = factories.create_account(db.session, user, name="Many")
    names = [("Apple" if n % 2 else "apple") + f" {n % 7}" for n in range(30)]
    factories.add_transactions(db.session, account, [("2024-01-01", str((-1) ** n * (n % 9 + 1)), name)
                                                     for n, name in enumerate(names)])
    for sort, key in (("description", lambda d: d.casefold()), ("-amount", None)):
        first = _get(auth_client, f"/accounts/{account.id}?per_page=25&sort={sort}")
        following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
        seen = _descriptions(first) + _descriptions(_get(auth_client, following))
        assert len(seen) == 30 and sorted(seen) == sorted(names)
        if key:
            assert [key(d) for d in seen] == sorted(key(d) for d in seen)


def _link(html: str, label: str) -> str:
    return re.search(r'href="([^"]+)"[^>]*>' + label + "</a>", html).group(1).replace("&amp;", "&")


def _taxis(db, user, name: str = "Taxis", days: int = 30):
    """``days`` rides ("Taxi 01" …) of 1, 2, … pounds, every tenth a refund: more than a page of 25."""
    account = factories.create_account(db.session, user, name=name)
    factories.add_transactions(db.session, account, [
        (f"2024-01-{day:02d}", f"{day if day % 10 == 0 else -day}", f"Taxi {day:02d}") for day in range(1, days + 1)])
    return account


def test_past_the_limit_the_totals_say_not_computed_and_the_link_gives_the_exact_ones(app, auth_client, db, user):
    url = f"/accounts/{_taxis(db, user).id}?per_page=25&q=taxi"  # 30 rows: 10 + 20 + 30 in, the other 405 out
    app.config["FILTERED_TOTALS_LIMIT"] = 30
    assert _summary(_get(auth_client, url)).startswith(
        "30 transactions match · GBP: in £60.00, out -£405.00, net -£345.00")  # at the limit: counted with the page
    app.config["FILTERED_TOTALS_LIMIT"] = 29
    html = _get(auth_client, url)
    summary = _summary(html)
    assert summary.startswith("More than 29 transactions match · totals not computed yet: compute them")
    assert "£" not in summary  # no partial sum passed off as the total
    assert len(_descriptions(html)) == 25  # the rows are there all the same
    computed = _get(auth_client, _link(html, "compute them"))
    assert _summary(computed).startswith("30 transactions match · GBP: in £60.00, out -£405.00, net -£345.00")
    assert _descriptions(computed) == _descriptions(html)
    app.config["FILTERED_TOTALS_LIMIT"] = 1
    assert _summary(_get(auth_client, url + " 0")).startswith(  # 9 rows, one page: its own rows are the totals
        "9 transactions match · GBP: in £0.00, out -£45.00")


def test_the_limit_counts_transactions_not_the_parts_of_a_split_row(app, auth_client, db, user):
    account = factories.create_account(db.session, user, name="Shopping")
    factories.add_transactions(db.session, account, [("2024-03-01", "-100.00", "Supermarket", "Groceries")])
    row = db.session.scalar(select(Transaction).where(Transaction.account_id == account.id))
    split_transaction(db.session, Scope.of_user(user.id), Actor(user.id), row,
                      [Part(Decimal("-60.25"), "Groceries"), Part(Decimal("-39.75"), "Groceries")])
    app.config["FILTERED_TOTALS_LIMIT"] = 1
    assert _summary(_get(auth_client, f"/accounts/{account.id}?category=Groceries")).startswith(
        "1 transaction matches · GBP: in £0.00, out -£100.00")


def test_the_totals_link_keeps_the_page_and_paging_leaves_it_behind(app, auth_client, db, user):
    account = factories.create_account(db.session, user, name="Travel")
    factories.add_transactions(db.session, account, [
        (f"2024-01-{day:02d}", f"-{day}", f"Train {day:02d}") for day in range(1, 31)]
        + [("2024-02-01", "-5", "Coffee")])
    app.config["FILTERED_TOTALS_LIMIT"] = 10
    first = _get(auth_client, f"/accounts/{account.id}?q=train&per_page=25")
    assert _summary(first).startswith("More than 10 transactions match")
    second = _get(auth_client, _link(first, "Next"))
    assert _descriptions(second) == [f"Train {day:02d}" for day in range(5, 0, -1)]
    computed = _get(auth_client, _link(second, "compute them"))
    assert _descriptions(computed) == _descriptions(second)  # the same page, now with its totals
    assert _summary(computed).startswith("30 transactions match · GBP: in £0.00, out -£465.00")
    back = _get(auth_client, _link(computed, "Previous"))
    assert _descriptions(back) == [f"Train {day:02d}" for day in range(30, 5, -1)]
    assert _summary(back).startswith("More than 10 transactions match")  # paging does not recompute every total


def test_all_transactions_searches_past_the_limit_the_same_way(app, auth_client, db, user):
    for name in ("Everyday", "Savings"):
        _taxis(db, user, name, days=15)  # 15 rows each: 10 in, 110 out
    app.config["FILTERED_TOTALS_LIMIT"] = 29
    html = _get(auth_client, "/transactions?q=taxi&per_page=25")
    assert _summary(html).startswith("More than 29 transactions match · totals not computed yet")
    assert _summary(_get(auth_client, _link(html, "compute them"))).startswith(
        "30 transactions match · GBP: in £20.00, out -£220.00, net -£200.00")


@pytest.mark.parametrize("window", [5, 50, 2000])
def test_search_pages_are_the_same_whether_the_words_are_found_among_the_newest_rows_or_not(
        auth_client, db, user, monkeypatch, window):
    """A search reads the newest rows first and its matches through the index only when they are too few there:
    either way each page holds the next matches in the chosen order, forwards and back."""
    monkeypatch.setattr(transaction_queries, "SEARCH_WINDOW", window)
    account = factories.create_account(db.session, user, name="Commute")
    factories.add_transactions(db.session, account, [
        (f"2024-{1 + n // 28:02d}-{1 + n % 28:02d}", f"-{n % 7 + 1}", f"{'Train' if n % 3 == 0 else 'Bus'} {n:02d}")
        for n in range(84)])
    buses = [f"Bus {n:02d}" for n in range(84) if n % 3]
    for sort, expected in (("-date", buses[::-1]),
                           ("amount", sorted(buses, key=lambda d: (int(d[4:]) % 7, int(d[4:]))))):
        first = _get(auth_client, f"/accounts/{account.id}?q=bus&per_page=25&sort={sort}")
        pages = [first]
        while 'rel="next" href' in pages[-1] and 'disabled"><a class="page-link" rel="next"' not in pages[-1]:
            pages.append(_get(auth_client, _link(pages[-1], "Next")))
        assert [d for page in pages for d in _descriptions(page)] == expected, sort
        assert _descriptions(_get(auth_client, _link(pages[1], "Previous"))) == expected[:25]
        assert _descriptions(_get(auth_client, _link(first, "Last"))) == expected[-25:]  # the oldest 25
    trains = _get(auth_client, f"/accounts/{account.id}?q=train 0&per_page=25")  # only in the oldest rows
    assert _descriptions(trains) == ["Train 09", "Train 06", "Train 03", "Train 00"]


def test_a_view_that_fits_one_page_is_totalled_from_its_rows_as_the_database_totals_it(auth_client, db, user):
    _account(db, user)
    euro = factories.create_account(db.session, user, name="Euro", currency="EUR")
    factories.add_transactions(db.session, euro, [("2024-03-01", "-7.25", "Café de Flore"),
                                                  ("2024-03-02", "30", "Cafe refund")])
    summary = _summary(_get(auth_client, "/transactions?q=caf"))
    assert summary.startswith("3 transactions match · EUR: in €30.00, out -€7.25, net €22.75 · "
                              "GBP: in £0.00, out -£4.50, net -£4.50")
    counted = transaction_queries.filtered_totals(db.session, Scope.of_user(user.id),
                                                  transaction_queries.TransactionFilter(query="caf"))
    assert [(t.currency, t.count, t.money_in, t.money_out) for t in counted] == [
        ("EUR", 2, Decimal("30"), Decimal("7.25")), ("GBP", 1, Decimal(0), Decimal("4.50"))]


@pytest.mark.parametrize("window", [3, 2000])
def test_all_transactions_with_shared_accounts_page_through_every_visible_row_once_in_order(
        auth_client, db, user, monkeypatch, window):
    """The page reads the user's own rows and each shared account's as separate ordered reads and merges them:
    every page is still the next rows of all of them in the chosen order, and an unshared account never shows."""
    monkeypatch.setattr(transaction_queries, "SEARCH_WINDOW", window)
    sharer = factories.create_user(db.session, "sharer@example.com")
    own = factories.create_account(db.session, user, name="Mine")
    joint = factories.create_account(db.session, sharer, name="Joint")
    family = factories.create_account(db.session, sharer, name="Family")
    private = factories.create_account(db.session, sharer, name="Private")
    rows = {}
    for offset, account in enumerate((own, joint, family, private)):
        made = [(f"2024-03-{1 + (n * 3 + offset) % 20:02d}", f"-{(n * 7 + offset) % 11 + 1}",
                 f"{'Shop' if n % 2 else 'Cafe'} {account.name} {n:02d}") for n in range(14)]
        factories.add_transactions(db.session, account, made)
        rows[account.name] = made
    sharer_scope = Scope.of_user(sharer.id)
    share_account(db.session, sharer_scope, Actor(sharer.id), joint, user.email)
    share_account(db.session, sharer_scope, Actor(sharer.id), family, user.email, can_write=True)
    db.session.commit()
    visible = [row for name in ("Mine", "Joint", "Family") for row in rows[name]]
    found = {t.description: t.id for t in db.session.scalars(select(Transaction))}
    for query, sort, key in (("", "-date", lambda r: (r[0], found[r[2]])),
                             ("", "amount", lambda r: (Decimal(r[1][1:]), found[r[2]])),
                             ("shop", "-date", lambda r: (r[0], found[r[2]]))):
        matching = [r for r in visible if query in r[2].lower()]
        expected = [r[2] for r in sorted(matching, key=key, reverse=sort.startswith("-"))]
        first = _get(auth_client, f"/transactions?q={query}&per_page=25&sort={sort}")
        pages = [first]
        while 'disabled"><a class="page-link" rel="next"' not in pages[-1] and 'rel="next" href' in pages[-1]:
            pages.append(_get(auth_client, _link(pages[-1], "Next")))
        assert [d for page in pages for d in _descriptions(page)] == expected, (query, sort)
        if len(pages) > 1:
            assert _descriptions(_get(auth_client, _link(pages[1], "Previous"))) == expected[:25]
            assert _descriptions(_get(auth_client, _link(first, "Last"))) == expected[-25:]
