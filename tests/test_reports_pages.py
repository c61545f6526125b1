"""The report pages as a user sees them: tables, charts, CSV downloads, filters and statement counts."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.models.accounts import AccountType
from dashboard.balances import posted_sum
from tests import factories
from tests.html_tables import page_tables

Q1 = {"period": "custom", "start": "2025-01", "end": "2025-03"}
PAGES = ["/reports/income-and-expenses", "/reports/categories", "/reports/profit-and-loss", "/reports/balances"]


def _page(client, url, **args):
    response = client.get(url, query_string=args or None)
    assert response.status_code == 200, response.data[:500]
    return response.get_data(as_text=True), page_tables(response.get_data(as_text=True))


def _csv(client, url, **args):
    response = client.get(url, query_string={**args, "format": "csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]  # named by the one download_response
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _amount(text: str) -> Decimal:
    """'-£1,234.50' -> Decimal('-1234.50'); the money filter's output back to a number."""
    return Decimal(re.sub(r"[^\d.\-]", "", text))


@pytest.fixture
def household(db, user):
    current = factories.create_account(db.session, user, "Current", "GBP", ledger_balance=Decimal("500.00"))
    savings = factories.create_account(db.session, user, "Savings", "GBP", ledger_balance=Decimal("2000.00"))
    euro = factories.create_account(db.session, user, "Euro", "EUR", ledger_balance=Decimal("90.00"))
    factories.add_rows(db.session, current, [
        {"date": date(2025, 1, 25), "amount": "2500.00", "category": "Salary"},
        {"date": date(2025, 1, 3), "amount": "-62.37", "category": "Groceries"},
        {"date": date(2025, 1, 26), "amount": "-300.00", "category": "Transfers"},
        {"date": date(2025, 3, 1), "amount": "-1200.00", "category": "Rent & Bills"},
        {"date": date(2025, 3, 9), "amount": "-45.10", "category": "Groceries"},
        {"date": date(2024, 12, 9), "amount": "-80.00", "category": "Groceries"},
    ])
    factories.add_rows(db.session, savings, [{"date": date(2025, 1, 26), "amount": "300.00", "category": "Transfers"}])
    factories.add_rows(db.session, euro, [{"date": date(2025, 2, 14), "amount": "-19.99", "category": "Eating out"}])
    stranger = factories.create_user(db.session, "bob@example.com")
    factories.add_rows(db.session, factories.create_account(db.session, stranger, "Bob's secret", "GBP"),
                       [{"date": date(2025, 1, 5), "amount": "-777.77", "category": "Yachts"}])
    for account in (current, savings, euro):  # each stated balance includes the rows above
        account.opening_balance = account.ledger_balance - posted_sum(db.session, account.id)
    db.session.flush()
    return {"current": current, "savings": savings, "euro": euro}


@pytest.mark.parametrize("url", ["/reports/", *PAGES, "/reports/profit-and-loss/codes/4000?currency=GBP"])
def test_reports_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_reports_link_appears_in_the_navigation(auth_client):
    html, parsed = _page(auth_client, "/")
    assert parsed.links["Reports"] == "/reports/income-and-expenses"  # a report, not a menu
    html, parsed = _page(auth_client, "/reports/income-and-expenses")
    assert parsed.links["All reports"] == "/reports/"
    html, parsed = _page(auth_client, "/reports/")
    assert {"Income and expenses", "Spending by category", "Profit and loss", "Balances and net worth"} <= set(parsed.links)
    assert "/admin/" not in html  # not an admin


def test_income_and_expenses_table_and_csv_show_the_same_figures(auth_client, household):
    html, parsed = _page(auth_client, "/reports/income-and-expenses", **Q1)
    gbp = parsed.tables["income-expenses-GBP"]
    assert gbp[0] == ["Month", "Income", "Expenses", "Net", "Running net"]
    assert gbp[1:] == [
        ["Jan 2025", "£2,500.00", "£62.37", "£2,437.63", "£2,437.63"],
        ["Feb 2025", "£0.00", "£0.00", "£0.00", "£2,437.63"],
        ["Mar 2025", "£0.00", "£1,245.10", "-£1,245.10", "£1,192.53"],
        ["Total", "£2,500.00", "£1,307.47", "£1,192.53", ""],
    ]
    assert parsed.tables["income-expenses-EUR"][2] == ["Feb 2025", "€0.00", "€19.99", "-€19.99", "-€19.99"]
    assert "Yachts" not in html and "777" not in html
    rows = _csv(auth_client, "/reports/income-and-expenses", **Q1)
    assert rows[0] == ["currency", "month", "income", "expenses", "net", "running_net"]
    gbp_csv = [r for r in rows[1:] if r[0] == "GBP"]
    assert [[_amount(c) if c else "" for c in r[2:]] for r in gbp_csv] == \
        [[_amount(c) if c else "" for c in r[1:]] for r in gbp[1:]]
    assert gbp_csv[1] == ["GBP", "2025-02", "0.00", "0.00", "0.00", "2437.63"]


def test_chart_labels_are_the_months_the_table_shows(auth_client, household):
    html, parsed = _page(auth_client, "/reports/income-and-expenses", **Q1)
    block = re.search(r'data-chart-for="chart-ie-GBP">(.*?)</script>', html, re.S).group(1)
    months = [row[0] for row in parsed.tables["income-expenses-GBP"][1:-1]]
    assert json.loads(block)["data"]["labels"] == months == ["Jan 2025", "Feb 2025", "Mar 2025"]


def test_income_and_expenses_filters_by_account_and_currency(auth_client, household):
    html, parsed = _page(auth_client, "/reports/income-and-expenses", account=household["savings"].id, **Q1)
    assert parsed.tables == {} and "No income or expenses in this period." in html  # it holds a transfer only
    _html, parsed = _page(auth_client, "/reports/income-and-expenses", account=household["current"].id, **Q1)
    assert list(parsed.tables) == ["income-expenses-GBP"]
    assert parsed.tables["income-expenses-GBP"][-1] == ["Total", "£2,500.00", "£1,307.47", "£1,192.53", ""]
    _html, parsed = _page(auth_client, "/reports/income-and-expenses", currency="EUR", **Q1)
    assert list(parsed.tables) == ["income-expenses-EUR"]


def test_a_mistaken_filter_says_so_and_shows_the_default(auth_client, household, db):
    html, _parsed = _page(auth_client, "/reports/income-and-expenses", period="custom", start="2025-09", end="2025-01")
    assert "The end month is before the start month." in html
    html, _parsed = _page(auth_client, "/reports/balances", period="custom", start="2020-01", end="2025-03", step="day")
    assert "Daily balances cover at most" in html
    eve = factories.create_user(db.session, "eve@example.com")
    stranger_account = factories.create_account(db.session, eve, "Eve's")
    html, _parsed = _page(auth_client, "/reports/categories", account=stranger_account.id, **Q1)
    assert "Account: Not a valid choice." in html and "Eve" not in html


@pytest.mark.parametrize("url", [*PAGES, "/reports/profit-and-loss/codes/4000?currency=GBP"])
@pytest.mark.parametrize("months", [("0001-01", "0001-03"), ("9999-12", "9999-12")])
def test_a_custom_period_at_the_edge_of_the_calendar_is_refused_not_a_500(auth_client, household, url, months):
    sep = "&" if "?" in url else "?"
    for suffix in ("", "&step=day", "&format=csv"):
        response = auth_client.get(f"{url}{sep}period=custom&start={months[0]}&end={months[1]}{suffix}")
        assert response.status_code == 200, (suffix, response.status_code)
    html = auth_client.get(f"{url}{sep}period=custom&start={months[0]}&end={months[1]}").get_data(as_text=True)
    assert "Custom period: Choose months between January 1900 and December 2999." in html


def test_categories_table_links_each_category_to_its_transactions(auth_client, household):
    _html, parsed = _page(auth_client, "/reports/categories", **Q1)
    table = parsed.tables["categories-GBP"]
    assert table[0] == ["Category", "Spent", "Share", "Previous period", "Change", "Change %"]
    assert table[1:] == [
        ["Rent & Bills", "£1,200.00", "91.8%", "£0.00", "+£1,200.00", "—"],
        ["Groceries", "£107.47", "8.2%", "£80.00", "+£27.47", "+34.3%"],
        ["Total", "£1,307.47", "", "£80.00", "+£1,227.47", ""],
    ]
    link = urlsplit(parsed.links["Rent & Bills"])
    assert link.path == "/transactions"
    assert parse_qs(link.query) == {"category": ["Rent & Bills"], "date_from": ["2025-01-01"], "date_to": ["2025-03-31"],
                                    "direction": ["out"]}
    html = auth_client.get(parsed.links["Groceries"]).get_data(as_text=True)
    assert "-£62.37" in html and "-£45.10" in html  # the two rows behind £107.47
    assert "-£80.00" not in html and "-£1,200.00" not in html  # December's groceries and March's rent are not
    rows = _csv(auth_client, "/reports/categories", **Q1)
    assert ["GBP", "Groceries", "107.47", "8.2", "80.00", "27.47", "34.3"] in rows
    assert not any("Transfers" in row for row in rows)


def test_category_links_lead_to_exactly_the_rows_behind_each_figure(auth_client, household, db):
    """Groceries are bought in two currencies and from two accounts of one: whatever the filter, the
    links of a category's row list rows of that currency only, and their money out is the figure shown."""
    factories.add_rows(db.session, household["euro"], [
        {"date": date(2025, 2, 3), "amount": "-7.50", "category": "Groceries", "external_id": "euro-groceries"}])
    factories.add_rows(db.session, household["savings"], [
        {"date": date(2025, 3, 4), "amount": "-10.00", "category": "Groceries", "external_id": "savings-groceries"}])
    for filters in ({}, {"currency": "GBP"}, {"account": household["current"].id}):
        _html, parsed = _page(auth_client, "/reports/categories", **Q1, **filters)
        checked = 0
        for table_id, table in parsed.tables.items():
            currency = table_id.rsplit("-", 1)[1]
            for row, links in zip(table[1:-1], parsed.row_links[table_id][1:-1]):
                if _amount(row[1]) == 0:
                    assert not links, row  # nothing behind a zero
                    continue
                assert links, row
                behind = []
                for link in links:
                    assert urlsplit(link).path == "/transactions"
                    export = auth_client.get(link.replace("/transactions?", "/transactions/export.csv?"))
                    behind += list(csv.reader(io.StringIO(export.get_data(as_text=True))))[1:]
                assert {line[4] for line in behind} == {currency}, (row, links)
                assert -sum(Decimal(line[3]) for line in behind) == _amount(row[1]), (row, links)
                checked += 1
        assert checked >= 2


def test_balances_page_shows_each_account_and_net_worth(auth_client, household):
    _html, parsed = _page(auth_client, "/reports/balances", **Q1)
    table = parsed.tables["balances-GBP"]
    assert table[0] == ["Month", "Current", "Savings", "Net worth", "Change"]
    assert table[1:] == [
        ["Jan 2025", "£1,745.10", "£2,000.00", "£3,745.10", "—"],
        ["Feb 2025", "£1,745.10", "£2,000.00", "£3,745.10", "£0.00"],
        ["Mar 2025", "£500.00", "£2,000.00", "£2,500.00", "-£1,245.10"],
    ]
    rows = _csv(auth_client, "/reports/balances", **Q1)
    assert ["GBP", "2025-01", "Net worth", "3745.10"] in rows
    _html, parsed = _page(auth_client, "/reports/balances", step="day", **Q1)
    daily = parsed.tables["balances-GBP"]
    assert len(daily) == 1 + 90
    assert daily[1][0] == "01 Jan 2025" and daily[-1][3] == "£2,500.00"


def test_net_worth_leaves_out_a_sage_nominal_ledger_like_the_dashboard(auth_client, user, db, household, sage_exports):
    """A nominal ledger holds postings to codes, not money: the dashboard shows it without a balance and
    leaves it out of the totals, so the balances report leaves it out of net worth too."""
    ledger = factories.create_account(db.session, user, "Sage ledger", "GBP", type=AccountType.LEDGER)
    factories.import_sage_file(db.session, ledger, sage_exports / "audit_trail_2025Q1.csv")
    _html, parsed = _page(auth_client, "/reports/balances", **Q1)
    table = parsed.tables["balances-GBP"]
    assert table[0] == ["Month", "Current", "Savings", "Net worth", "Change"]
    assert table[-1][3] == "£2,500.00"  # Current £500 + Savings £2,000, as on the dashboard
    html, parsed = _page(auth_client, "/reports/balances", account=ledger.id, **Q1)
    assert parsed.tables == {} and "nominal ledger" in html


def test_profit_and_loss_page_expands_to_codes_and_code_to_transactions(auth_client, user, db, sage_exports):
    account = factories.create_account(db.session, user, "Ledger", "GBP")
    factories.import_sage_file(db.session, account, sage_exports / "audit_trail_2025Q1.csv")
    _html, parsed = _page(auth_client, "/reports/profit-and-loss", **Q1)
    table = {row[0]: row[1:] for row in parsed.tables["profit-and-loss-GBP"][1:]}
    assert table["Gross profit"] == ["£4,560.38", "£1,290.74", "£4,940.40", "£10,791.52"]
    assert table["Net profit"] == ["-£1,057.49", "-£4,493.42", "-£732.27", "-£6,283.18"]
    assert table["Total overheads"][-1] == "£17,074.70"
    expand = parsed.links[next(label for label in parsed.links if label.startswith("Sales"))]
    _html, parsed = _page(auth_client, expand)
    codes = [row for row in parsed.tables["profit-and-loss-GBP"] if re.fullmatch(r"4\d{3} .+", row[0])]
    assert codes and sum(_amount(row[-1]) for row in codes) == Decimal("13755.45")
    html, parsed = _page(auth_client, parsed.links[codes[0][0]])
    assert f"Nominal code {codes[0][0]}" in html  # "4000 Sales type A"
    listed = sum(_amount(row[-1]) for row in parsed.tables["code-transactions"][1:])
    assert listed == _amount(codes[0][-1])
    code_rows = _csv(auth_client, f"/reports/profit-and-loss/codes/{codes[0][0].split()[0]}", currency="GBP", **Q1)
    assert code_rows[0] == ["date", "description", "account", "type", "amount", "currency"]
    assert len(code_rows) == len(parsed.tables["code-transactions"])
    assert sum(Decimal(row[4]) for row in code_rows[1:]) == listed
    rows = _csv(auth_client, "/reports/profit-and-loss", **Q1)
    assert rows[0] == ["currency", "line", "nominal_code", "2025-01", "2025-02", "2025-03", "total"]
    assert ["GBP", "Net profit", "", "-1057.49", "-4493.42", "-732.27", "-6283.18"] in rows


def test_profit_and_loss_shows_every_nominal_code_with_one_link(auth_client, user, db, sage_exports):
    account = factories.create_account(db.session, user, "Ledger", "GBP")
    factories.import_sage_file(db.session, account, sage_exports / "audit_trail_2025Q1.csv")
    _html, parsed = _page(auth_client, "/reports/profit-and-loss", **Q1)
    _html, parsed = _page(auth_client, parsed.links["Show every nominal code"])
    rows = parsed.tables["profit-and-loss-GBP"][1:]
    codes = {row[0]: _amount(row[-1]) for row in rows if re.fullmatch(r"\d{4} .+", row[0])}
    totals = {row[0]: _amount(row[-1]) for row in rows}
    assert sum(v for k, v in codes.items() if k.startswith("4")) == totals["Total revenue"] == Decimal("13755.45")
    assert sum(v for k, v in codes.items() if k[0] in "56") == totals["Total direct costs"] == Decimal("2963.93")
    assert sum(v for k, v in codes.items() if k[0] in "789") == totals["Total overheads"] == Decimal("17074.70")
    _html, parsed = _page(auth_client, parsed.links["Hide the codes"])
    assert not any(re.fullmatch(r"\d{4} .+", row[0]) for row in parsed.tables["profit-and-loss-GBP"])


def test_a_cost_code_without_postings_in_a_month_shows_zero_not_minus_zero(auth_client, user, db):
    ledger = factories.create_account(db.session, user, "Ledger", "GBP", type=AccountType.LEDGER)
    factories.add_rows(db.session, ledger, [{"date": date(2025, 2, 10), "amount": "-15.00", "nominal_code": "7100"}])
    html, parsed = _page(auth_client, "/reports/profit-and-loss", expand="overheads", **Q1)
    assert ["7100 Rent", "£0.00", "£15.00", "£0.00", "£15.00"] in parsed.tables["profit-and-loss-GBP"]
    assert "-£0.00" not in html
    rows = _csv(auth_client, "/reports/profit-and-loss", expand="overheads", **Q1)
    assert ["GBP", "7100 Rent", "7100", "0.00", "15.00", "0.00", "15.00"] in rows


def test_code_transactions_need_a_currency(auth_client):
    assert auth_client.get("/reports/profit-and-loss/codes/4000").status_code == 400


@pytest.mark.parametrize("url", PAGES)
def test_charts_are_fed_from_json_blocks_without_inline_script(auth_client, household, db, user, url):
    ledger = factories.create_account(db.session, user, "Ledger", "USD")
    factories.add_rows(db.session, ledger, [{"date": date(2025, 2, 10), "amount": "-15.00", "nominal_code": "7100"}])
    html, _parsed = _page(auth_client, url, **Q1)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert ' style="' not in html
    blocks = re.findall(r'<script type="application/json" data-chart-for="([^"]+)">(.*?)</script>', html, re.S)
    assert blocks
    for canvas, payload in blocks:
        assert f'<canvas id="{canvas}"' in html
        chart = json.loads(payload)
        assert chart["data"]["labels"] and chart["data"]["datasets"]
    assert "vendor/chart.js-4.5.1/chart.umd.min.js" in html and "js/charts.js" in html


@pytest.mark.parametrize("url", PAGES)
def test_pages_issue_the_same_number_of_statements_whatever_the_row_count(auth_client, household, db, url,
                                                                         statements_of):
    def statements():
        count, _page_shown = statements_of(lambda: _page(auth_client, url, period="custom", start="2024-01",
                                                         end="2025-03", expand="sales"))
        return count

    few = statements()
    many = factories.create_account(db.session, db.session.merge(household["current"]).owner, "Busy", "USD")
    factories.add_rows(db.session, many, [
        {"date": date(2024, 1 + n % 12, 1 + n % 28), "amount": f"-{n}.{n % 100:02d}", "category": f"Cat {n % 17}",
         "nominal_code": str(4000 + (n * 37) % 6000)} for n in range(1, 400)])
    assert statements() == few
    assert few <= 8
