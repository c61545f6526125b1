"""`flask codes import` / `codes export`: a chart of accounts as CSV, and the names it gives on the reports."""
from __future__ import annotations

import csv
import io
from datetime import date

from dashboard.access import Scope
from dashboard.models.accounts import AccountType
from dashboard.reports.bookkeeping import trial_balance
from tests import factories


def _export(runner, email="alice@example.com"):
    result = runner.invoke(args=["codes", "export", "--user", email])
    assert result.exit_code == 0, result.output
    return list(csv.reader(io.StringIO(result.output)))


def test_export_starts_from_the_sage_50_uk_standard_chart(runner, db, user):
    rows = _export(runner)
    assert rows[0] == ["code", "name", "kind"]
    assert ["7100", "Rent", "overheads"] in rows
    assert ["0030", "Office equipment", "fixed_assets"] in rows
    assert ["2200", "Sales tax control", "current_liabilities"] in rows
    assert ["3200", "Profit and loss", "capital_and_reserves"] in rows


def test_import_renames_adds_and_takes_the_kind_from_the_range(runner, db, user, tmp_path):
    chart = tmp_path / "chart.csv"
    chart.write_text("code,name,kind\n7100,Studio rent,\n4010,Workshops\nX1,Director's loan,Long-term liabilities\n")
    result = runner.invoke(args=["codes", "import", str(chart), "--user", user.email])
    assert result.exit_code == 0, result.output
    assert "stored 3 codes" in result.output
    rows = _export(runner)
    assert ["7100", "Studio rent", "overheads"] in rows
    assert ["4010", "Workshops", "sales"] in rows
    assert ["X1", "Director's loan", "long_term_liabilities"] in rows
    ledger = factories.create_account(db.session, user, "Ledger", "GBP", type=AccountType.LEDGER)
    factories.add_rows(db.session, ledger, [{"date": date(2025, 1, 2), "amount": "-10.00", "nominal_code": "7100"},
                                            {"date": date(2025, 1, 2), "amount": "10.00", "nominal_code": "1200"}])
    (report,) = trial_balance(db.session, Scope.of_user(user.id), date(2025, 1, 31))
    assert [line.code.label for line in report.lines] == ["1200 Bank current account", "7100 Studio rent"]


def test_a_bad_line_is_refused_with_its_number_and_nothing_is_stored(runner, db, user, tmp_path):
    chart = tmp_path / "chart.csv"
    chart.write_text("7100,Studio rent\nABC,No kind\n")
    result = runner.invoke(args=["codes", "import", str(chart), "--user", user.email])
    assert result.exit_code != 0
    assert "line 2" in result.output and "give its kind" in result.output
    assert "Traceback" not in result.output
    assert ["7100", "Rent", "overheads"] in _export(runner)
    chart.write_text("7100,Rent,stock\n")
    result = runner.invoke(args=["codes", "import", str(chart), "--user", user.email])
    assert result.exit_code != 0 and "unknown kind 'stock'" in result.output


def test_an_unknown_user_is_one_line(runner, db):
    result = runner.invoke(args=["codes", "export", "--user", "nobody@example.com"])
    assert result.exit_code != 0 and "there is no user nobody@example.com" in result.output
