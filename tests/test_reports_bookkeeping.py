"""Trial balance and balance sheet: the Sage fixture against a hand calculation and the profit and loss."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dashboard.access import Scope
from dashboard.models.accounts import AccountType
from dashboard.models.nominal import NominalKind
from dashboard.reports.bookkeeping import balance_sheet, trial_balance
from dashboard.reports.periods import Period
from dashboard.reports.profit_and_loss import profit_and_loss
from tests import factories

D = Decimal
END = date(2025, 3, 31)

# By hand, from the fixture's lines (net, tax): the other side of each line as the README of importers.sage states.
SALES_INVOICES = [(D("3171.77"), D("634.35")), (D("2862.55"), D("572.51")), (D("2452.96"), D("490.59")),
                  (D("355.98"), D("71.20")), (D("3467.92"), D("693.58")), (D("2397.97"), D("479.59"))]
SALES_CREDITS = [(D("385.48"), D("77.10")), (D("312.40"), D("62.48")), (D("308.77"), D("61.75"))]
PURCHASE_INVOICES = [(D("346.73"), D("69.35")), (D("1113.22"), D("222.64")), (D("101.23"), D("20.25"))]
PURCHASE_CREDITS = [(D("66.46"), D("13.29")), (D("20.17"), D("4.03")), (D("26.43"), D("5.29"))]
VAT_PAID = [D("1945.11"), D("2288.02"), D("2039.49")]  # BP to 2200
TO_DEPOSIT = [D("755.06"), D("232.44"), D("888.11")]  # BP to 1210
OTHER_PAYMENTS = [D("830.45"), D("1500.00"), D("99.51"), D("18.36"), D("118.58"), D("1500.00"), D("265.54"),
                  D("18.62"), D("566.78"), D("1500.00"), D("164.63"), D("8.04")]  # BP to 6201, 7100, 7200, 7901
RECEIPTS = [D("22.26"), D("5.83"), D("24.86")]  # BR from 4900
WAGES = [D("4000.00")] * 3  # JD 7000, single-sided: against the bank
EQUIPMENT = [D("899.43"), D("909.40"), D("1115.46")]  # JD 0030, single-sided: against the bank


def gross(lines):
    return sum(net + tax for net, tax in lines)


def tax(lines):
    return sum(t for _net, t in lines)


# Balances as of 31 March 2025, debit positive.
HAND = {
    "0030": sum(EQUIPMENT),
    "1100": gross(SALES_INVOICES) - gross(SALES_CREDITS),
    "1200": sum(RECEIPTS) - sum(VAT_PAID) - sum(TO_DEPOSIT) - sum(OTHER_PAYMENTS) - sum(WAGES) - sum(EQUIPMENT),
    "1210": sum(TO_DEPOSIT),
    "2100": gross(PURCHASE_CREDITS) - gross(PURCHASE_INVOICES),
    "2200": sum(VAT_PAID) - tax(SALES_INVOICES) + tax(SALES_CREDITS),
    "2201": tax(PURCHASE_INVOICES) - tax(PURCHASE_CREDITS),
}
NET_PROFIT = D("-6283.18")  # the fixture README


@pytest.fixture
def sage_ledger(db, user, sage_exports):
    account = factories.create_account(db.session, user, "Studio Ltd ledger", "GBP", type=AccountType.LEDGER)
    factories.import_sage_file(db.session, account, sage_exports / "audit_trail_2025Q1.csv")
    return account


def test_trial_balance_matches_the_hand_calculation_and_balances(db, user, sage_ledger):
    (report,) = trial_balance(db.session, Scope.of_user(user.id), END)
    balances = {line.code.code: line.debit - line.credit for line in report.lines}
    assert {code: balances[code] for code in HAND} == HAND
    assert report.debit == report.credit
    assert {line.code.label for line in report.lines} >= {"7100 Rent", "1100 Debtors control", "0030 Office equipment"}
    profit = sum(-value for code, value in balances.items() if int(code) >= 4000)
    assert profit == NET_PROFIT


def test_balance_sheet_carries_the_profit_into_reserves_and_balances(db, user, sage_ledger):
    (sheet,) = balance_sheet(db.session, Scope.of_user(user.id), END, date(2024, 12, 31))
    (pnl,) = profit_and_loss(db.session, Scope.of_user(user.id), Period(date(2025, 1, 1), date(2025, 3, 1)))
    figures = sheet.figures
    assert sheet.sections[NominalKind.FIXED_ASSETS].total == HAND["0030"]
    assert sheet.sections[NominalKind.CURRENT_ASSETS].total == HAND["1100"] + HAND["1200"] + HAND["1210"]
    assert sheet.sections[NominalKind.CURRENT_LIABILITIES].total == -(HAND["2100"] + HAND["2200"] + HAND["2201"])
    assert figures["net_assets"] == figures["capital_and_reserves"] == pnl.net_profit[0] + pnl.net_profit[1] \
        + pnl.net_profit[2] == NET_PROFIT
    assert sheet.sections[NominalKind.CAPITAL_AND_RESERVES].lines[-1].label == "Profit for the period"
    assert sheet.previous_figures == {"net_current_assets": 0, "net_assets": 0, "capital_and_reserves": 0}


def test_mid_quarter_the_books_still_balance(db, user, sage_ledger):
    (report,) = trial_balance(db.session, Scope.of_user(user.id), date(2025, 2, 14))
    assert report.debit == report.credit > 0
    (sheet,) = balance_sheet(db.session, Scope.of_user(user.id), date(2025, 2, 14))
    assert sheet.balances


def test_pages_and_downloads(auth_client, db, user, sage_ledger):
    page = auth_client.get("/reports/trial-balance", query_string={"as_of": "2025-03-31"}).get_data(as_text=True)
    assert "7100 Rent" in page and "Download CSV" in page and "do not balance" not in page
    rows = auth_client.get("/reports/trial-balance", query_string={"as_of": "2025-03-31", "format": "csv"})
    lines = rows.get_data(as_text=True).splitlines()
    assert lines[0].startswith("code,name,debit,credit")
    assert "7100,Rent,4500.00,0.00,GBP" in lines
    total = next(line for line in lines if ",Total," in line).split(",")
    assert total[2] == total[3]
    sheet = auth_client.get("/reports/balance-sheet", query_string={"as_of": "2025-03-31", "format": "csv"})
    sheet_lines = sheet.get_data(as_text=True).splitlines()
    assert sheet_lines[0].startswith("section,code,name,amount")
    assert "Net assets,,Total,-6283.18,GBP,0.00" in sheet_lines
    assert "Capital and reserves,,Profit for the period,-6283.18,GBP,0.00" in sheet_lines
    bad = auth_client.get("/reports/balance-sheet", query_string={"as_of": "31/03/2025"}).get_data(as_text=True)
    assert "is not a date" in bad


def test_household_pages_are_unchanged_by_a_ledger(auth_client, db, user, sage_exports):
    current = factories.create_account(db.session, user, "Current", "GBP")
    factories.add_rows(db.session, current, [{"date": date(2025, 1, 25), "amount": "2500.00", "category": "Salary"},
                                             {"date": date(2025, 2, 3), "amount": "-62.37", "category": "Groceries"}])
    query = {"period": "custom", "start": "2025-01", "end": "2025-03", "format": "csv"}
    urls = ["/reports/income-and-expenses", "/reports/categories", "/reports/balances"]
    before = [auth_client.get(url, query_string=query).get_data(as_text=True) for url in urls]
    ledger = factories.create_account(db.session, user, "Sage", "GBP", type=AccountType.LEDGER)
    factories.import_sage_file(db.session, ledger, sage_exports / "audit_trail_2025Q1.csv")
    after = [auth_client.get(url, query_string=query).get_data(as_text=True) for url in urls]
    assert after == before
    assert "Journal debit" not in after[1] and "Groceries" in after[1]


def test_others_books_are_not_seen_and_viewers_read_the_organisation(client, db, user, sage_ledger):
    stranger = factories.create_user(db.session, "bob@example.com")
    factories.log_in(client, stranger.email)
    assert "empty-state" in client.get("/reports/trial-balance?as_of=2025-03-31").get_data(as_text=True)
    assert client.get("/admin/reports/trial-balance").status_code == 403
    client.post("/logout")
    viewer = factories.create_user(db.session, "books@example.com", role="viewer")
    factories.log_in(client, viewer.email)
    for url in ("/admin/reports/trial-balance", "/admin/reports/balance-sheet", "/admin/reports/profit-and-loss"):
        page = client.get(url, query_string={"as_of": "2025-03-31", "period": "custom", "start": "2025-01",
                                             "end": "2025-03"})
        assert page.status_code == 200, url
        assert "1100 Debtors control" in page.get_data(as_text=True) or url.endswith("profit-and-loss")
        assert "/admin/reports/income-and-expenses" not in page.get_data(as_text=True)  # no link to a 403
    assert client.get("/admin/").status_code == 403


def test_codes_page_names_a_code_everywhere(auth_client, db, user, sage_ledger):
    page = auth_client.get("/reports/codes").get_data(as_text=True)
    assert "Office equipment" in page and "Save code" in page
    response = auth_client.post("/reports/codes", data={"code": "7100", "name": "Studio rent", "kind": ""})
    assert response.status_code == 302
    trial = auth_client.get("/reports/trial-balance?as_of=2025-03-31").get_data(as_text=True)
    assert "7100 Studio rent" in trial and "7100 Rent" not in trial
    refused = auth_client.post("/reports/codes", data={"code": "ABC", "name": "Odd", "kind": ""})
    assert refused.status_code == 200 and "give its kind" in refused.get_data(as_text=True)
    rows = auth_client.get("/reports/codes?format=csv").get_data(as_text=True).splitlines()
    assert rows[0] == "code,name,kind" and "7100,Studio rent,overheads" in rows


def test_the_ledger_account_page_and_the_monthly_totals_hold_the_postings(auth_client, db, user, sage_ledger):
    from dashboard.ledger import verify_totals

    assert verify_totals(db.session) == []
    page = auth_client.get(f"/accounts/{sage_ledger.id}")
    assert page.status_code == 200
    assert "Debtors control" in auth_client.get(f"/accounts/{sage_ledger.id}", query_string={"q": "consulting"}) \
        .get_data(as_text=True)
