"""CSV exports: a cell a spreadsheet would run as a formula is written as text; amounts stay plain numbers."""
import csv
import io
from datetime import date

import pytest

from dashboard.downloads import csv_lines, spreadsheet_safe
from tests import factories

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
            "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_cells_are_quoted(cell):
    assert spreadsheet_safe(cell) == "'" + cell.replace("\r", "\n")


@pytest.mark.parametrize("cell", ["-12.34", "12.34", "-5", "0", "Coffee", "a=b", "", 3, None])
def test_numbers_and_plain_text_stay_as_they_are(cell):
    assert spreadsheet_safe(cell) == cell


def test_the_header_and_rows_are_written_through_one_writer():
    text = "".join(csv_lines(["description", "amount"], [("=1+1", "-3.50")]))
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["description", "amount"], ["'=1+1", "-3.50"]]


def _hostile_account(db, user):
    account = factories.create_account(db.session, user, name="@Checking")
    factories.add_transactions(db.session, account, [(date(2025, 1, 10), "-12.50", formula, "=cat")
                                                     for formula in FORMULAS])
    return account


def _cells(text):
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _assert_neutralised(text):
    cells = _cells(text)
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not _number(c))]
    assert "-12.50" in cells


def _number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_page_downloads_neutralise_formulas(auth_client, db, user):
    account = _hostile_account(db, user)
    _assert_neutralised(auth_client.get("/transactions/export.csv").get_data(as_text=True))
    _assert_neutralised(auth_client.get(f"/accounts/{account.id}/export.csv").get_data(as_text=True))


def test_report_downloads_neutralise_formulas(auth_client, db, user):
    _hostile_account(db, user)
    text = auth_client.get("/reports/categories?period=custom&start=2025-01&end=2025-01&format=csv").get_data(
        as_text=True)
    assert "'=cat" in _cells(text)
    assert not [c for c in _cells(text) if c.startswith("=")]


def test_cli_export_neutralises_formulas(runner, db, user):
    _hostile_account(db, user)
    result = runner.invoke(args=["export", "--user", user.email])
    assert result.exit_code == 0
    _assert_neutralised(result.output)
    assert "'@Checking" in _cells(result.output)
