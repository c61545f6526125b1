"""Profit and loss by nominal code: the Sage fixture gives exactly the figures its README states."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dashboard.access import Scope
from dashboard.models.accounts import AccountType
from dashboard.reports.periods import Period
from dashboard.reports.profit_and_loss import (
    SAGE_50_UK_RANGES,
    code_transactions,
    nominal_ranges,
    profit_and_loss,
)
from tests import factories

QUARTER = Period(date(2025, 1, 1), date(2025, 3, 1))
# From /work/shared/fixtures/sage/README.md: sales, purchases, direct expenses, overheads, gross, net
README_MONTHS = {
    "2025-01": ("5671.10", "280.27", "830.45", "5617.87", "4560.38", "-1057.49"),
    "2025-02": ("2502.37", "1093.05", "118.58", "5784.16", "1290.74", "-4493.42"),
    "2025-03": ("5581.98", "74.80", "566.78", "5672.67", "4940.40", "-732.27"),
}
README_TOTALS = ("13755.45", "1448.12", "1515.81", "17074.70", "10791.52", "-6283.18")


@pytest.fixture
def sage_ledger(db, user, sage_exports):
    account = factories.create_account(db.session, user, "Studio Ltd ledger", "GBP", type=AccountType.LEDGER)
    assert factories.import_sage_file(db.session, account, sage_exports / "audit_trail_2025Q1.csv") == 42 + 57  # lines, their other sides
    return account


def _figures(report, index=None):
    rows = {row.key: row for row in report.rows()}
    pick = (lambda row: row.total) if index is None else (lambda row: row.values[index])
    return tuple(pick(rows[key]) for key in ("sales", "purchases", "direct_expenses", "overheads_total",
                                             "gross_profit", "net_profit"))


def test_sage_fixture_gives_the_readme_figures_per_month_and_in_total(db, user, sage_ledger):
    (report,) = profit_and_loss(db.session, Scope.of_user(user.id), QUARTER, ranges=SAGE_50_UK_RANGES)
    assert report.currency == "GBP"
    for index, month in enumerate(README_MONTHS):
        assert _figures(report, index) == tuple(Decimal(v) for v in README_MONTHS[month]), month
    assert _figures(report) == tuple(Decimal(v) for v in README_TOTALS)
    rows = {row.key: row for row in report.rows()}
    assert rows["revenue"].values == rows["sales"].values
    assert rows["direct_costs"].total == Decimal("1448.12") + Decimal("1515.81")


def test_balance_sheet_codes_are_left_out_and_codes_add_up_to_their_line(db, user, sage_ledger):
    (report,) = profit_and_loss(db.session, Scope.of_user(user.id), QUARTER, ranges=SAGE_50_UK_RANGES)
    codes = [row.code for key in report.codes for row in report.codes[key]]
    assert codes and all(int(code) >= 4000 for code in codes)
    for line in report.ranges:
        assert line.values == [sum(column, Decimal(0)) for column in zip(*(c.values for c in report.codes[line.key]))] \
            or not report.codes[line.key]
    expanded = report.rows(expanded=["sales"])
    sales_at = [row.key for row in expanded].index("sales")
    assert all(row.kind == "code" and row.key == "sales" for row in expanded[sales_at + 1:sales_at + 1 + len(report.codes["sales"])])
    assert len(expanded) == len(report.rows()) + len(report.codes["sales"])


def test_a_code_lists_the_transactions_that_make_its_figure(db, user, sage_ledger):
    (report,) = profit_and_loss(db.session, Scope.of_user(user.id), QUARTER, ranges=SAGE_50_UK_RANGES)
    for key, sign in (("sales", 1), ("overheads", -1)):
        for code_row in report.codes[key]:
            found = code_transactions(db.session, Scope.of_user(user.id), QUARTER, currency="GBP",
                                      code=code_row.code)
            assert found.shown_all and found.count == len(found.transactions) > 0
            assert sign * found.credit_total == code_row.total
            assert sum((t.amount for t in found.transactions), Decimal(0)) == found.credit_total


def test_other_users_and_other_periods_see_nothing(db, user, sage_ledger):
    stranger = factories.create_user(db.session, "bob@example.com")
    assert profit_and_loss(db.session, Scope.of_user(stranger.id), QUARTER, ranges=SAGE_50_UK_RANGES) == []
    assert profit_and_loss(db.session, Scope.of_user(user.id), Period(date(2024, 1, 1), date(2024, 12, 1)),
                           ranges=SAGE_50_UK_RANGES) == []
    assert code_transactions(db.session, Scope.of_user(stranger.id), QUARTER, currency="GBP", code="4000").count == 0


def test_ranges_come_from_config(db, user, sage_ledger):
    ranges = nominal_ranges([
        {"key": "income", "label": "Income", "low": 4000, "high": 4999, "kind": "revenue"},
        ("costs", "All costs", 5000, 9999, "overhead"),
    ])
    (report,) = profit_and_loss(db.session, Scope.of_user(user.id), QUARTER, ranges=ranges)
    rows = {row.key: row for row in report.rows()}
    assert rows["income"].total == Decimal("13755.45")
    assert rows["costs"].total == Decimal("1448.12") + Decimal("1515.81") + Decimal("17074.70")
    assert rows["net_profit"].total == Decimal("-6283.18")
    assert rows["gross_profit"].total == Decimal("13755.45")
    with pytest.raises(ValueError, match="kind"):
        nominal_ranges([("x", "X", 4000, 4999, "other")])
    assert nominal_ranges(None) == SAGE_50_UK_RANGES


def test_currencies_get_their_own_statement(db, user):
    gbp = factories.create_account(db.session, user, "UK ledger", "GBP")
    eur = factories.create_account(db.session, user, "EU ledger", "EUR")
    factories.add_rows(db.session, gbp, [{"date": date(2025, 2, 3), "amount": "100.10", "nominal_code": "4000"},
                                         {"date": date(2025, 2, 4), "amount": "-40.05", "nominal_code": "7100"},
                                         {"date": date(2025, 2, 5), "amount": "-999", "nominal_code": "0030"},
                                         {"date": date(2025, 2, 6), "amount": "-5", "nominal_code": "ABC"}])
    factories.add_rows(db.session, eur, [{"date": date(2025, 3, 9), "amount": "-12.34", "nominal_code": "5000"}])
    report = {r.currency: r
              for r in profit_and_loss(db.session, Scope.of_user(user.id), QUARTER, ranges=SAGE_50_UK_RANGES)}
    assert sorted(report) == ["EUR", "GBP"]
    assert report["GBP"].net_profit == [Decimal(0), Decimal("60.05"), Decimal(0)]
    assert report["EUR"].net_profit == [Decimal(0), Decimal(0), Decimal("-12.34")]


def test_twelve_months_and_the_total_fit_a_1280_pixel_page(committed, app, db, user):
    """No sideways scroll: the statement's table is no wider than its box at 1280 px, codes named and open."""
    import threading

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    ledger = factories.create_account(db.session, user, "Ledger", "GBP", type=AccountType.LEDGER)
    factories.add_rows(db.session, ledger, [
        {"date": date(2024, month, 15), "amount": amount, "nominal_code": code}
        for month in range(1, 13)
        for code, amount in (("4000", "98765.43"), ("5000", "-23456.78"), ("6201", "-3456.78"),
                             ("7901", "-56789.01"), ("7100", "-1500.00"))
    ])
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            base = f"http://127.0.0.1:{server.server_port}"
            page.goto(f"{base}/login")
            page.get_by_label("Email").fill(user.email)
            page.get_by_label("Password").fill(factories.PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base}/")
            page.goto(f"{base}/reports/profit-and-loss?period=custom&start=2024-01&end=2024-12&expand=sales&expand=purchases"
                      "&expand=direct_expenses&expand=overheads")
            widths = page.eval_on_selector("#profit-and-loss-GBP",
                                           "t => [t.scrollWidth, t.parentElement.clientWidth]")
            assert "7901 Bank charges and interest" in page.inner_text("#profit-and-loss-GBP")
            browser.close()
    finally:
        server.shutdown()
    assert widths[0] <= widths[1], widths
