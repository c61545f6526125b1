"""The CSV tables of the report downloads, built from small report results without a request."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace

from dashboard.reports import export
from dashboard.reports.balances import DAILY, MONTHLY, AccountBalances, BalanceReport, CurrencyBalances
from dashboard.reports.periods import Period
from dashboard.reports.profit_and_loss import CodeTransactions, CurrencyProfitAndLoss, NominalKind, StatementRow
from dashboard.reports.queries import CategorySpending, CurrencyIncomeExpenses, CurrencySpending, MonthFigures

JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)


def test_income_and_expenses_rows_end_with_a_total_per_currency():
    report = CurrencyIncomeExpenses("GBP", [MonthFigures(JAN, D("2500"), D("62.37"), D("2437.63"), D("2437.63")),
                                            MonthFigures(FEB, D(0), D("0.125"), D("-0.125"), D("2437.505"))])
    assert export.income_expenses_table([report]) == (
        ["currency", "month", "income", "expenses", "net", "running_net"],
        [["GBP", "2025-01", "2500.00", "62.37", "2437.63", "2437.63"],
         ["GBP", "2025-02", "0.00", "0.125", "-0.125", "2437.505"],
         ["GBP", "Total", "2500.00", "62.495", "2437.505", ""]])


def test_spending_rows_name_uncategorised_and_leave_an_unknown_change_empty():
    report = CurrencySpending("EUR", [CategorySpending("Groceries", D("107.47"), D("80"), D("93.1")),
                                      CategorySpending("", D("7.90"), D(0), D("6.9"))])
    assert export.spending_table([report]) == (
        ["currency", "category", "spent", "share_percent", "previous_period", "change", "change_percent"],
        [["EUR", "Groceries", "107.47", "93.1", "80.00", "27.47", "34.3"],
         ["EUR", "Uncategorised", "7.90", "6.9", "0.00", "7.90", ""],
         ["EUR", "Total", "115.37", "", "80.00", "35.37", ""]])


def test_profit_and_loss_rows_follow_the_statement_with_expanded_codes():
    sales = StatementRow("Sales", [D("100"), D("50")], "range", "sales", group=NominalKind.REVENUE)
    code = StatementRow("4000", [D("100"), D("50")], "code", "sales", "4000")
    report = CurrencyProfitAndLoss("GBP", ranges=[sales], codes={"sales": [code]}, revenue=sales.values,
                                   direct_costs=[D(0), D(0)], overheads=[D(0), D("70")])
    header, rows = export.profit_and_loss_table([report], [JAN, FEB], expanded=["sales"])
    assert header == ["currency", "line", "nominal_code", "2025-01", "2025-02", "total"]
    assert rows[:3] == [["GBP", "Sales", "", "100.00", "50.00", "150.00"],
                        ["GBP", "4000", "4000", "100.00", "50.00", "150.00"],
                        ["GBP", "Total revenue", "", "100.00", "50.00", "150.00"]]
    assert rows[-1] == ["GBP", "Net profit", "", "100.00", "-20.00", "80.00"]
    assert len(export.profit_and_loss_table([report], [JAN, FEB])[1]) == len(rows) - 1


def test_code_transactions_rows_are_iso_dates_and_plain_amounts():
    found = CodeTransactions([SimpleNamespace(date=date(2025, 1, 3), description="Invoice 1001",
                                              account=SimpleNamespace(name="Ledger"), category=None,
                                              amount=D("-1234.5"), currency="GBP")], 1, D("-1234.5"))
    assert export.code_transactions_table(found) == (
        ["date", "description", "account", "type", "amount", "currency"],
        [["2025-01-03", "Invoice 1001", "Ledger", "", "-1234.50", "GBP"]])


def test_balances_rows_give_each_account_net_worth_and_change_at_each_point():
    accounts = [AccountBalances(1, "Current", "GBP", [D("10"), D("7.5")], False),
                AccountBalances(2, "Savings", "GBP", [D("100"), D("100")], True)]
    monthly = BalanceReport(MONTHLY, [JAN, FEB], [CurrencyBalances("GBP", accounts)])
    assert export.balances_table(monthly) == (["currency", "month", "series", "amount"], [
        ["GBP", "2025-01", "Current", "10.00"], ["GBP", "2025-01", "Savings", "100.00"],
        ["GBP", "2025-01", "Net worth", "110.00"], ["GBP", "2025-01", "Change", ""],
        ["GBP", "2025-02", "Current", "7.50"], ["GBP", "2025-02", "Savings", "100.00"],
        ["GBP", "2025-02", "Net worth", "107.50"], ["GBP", "2025-02", "Change", "-2.50"]])
    daily = BalanceReport(DAILY, [date(2025, 1, 30), date(2025, 1, 31)], [CurrencyBalances("GBP", accounts)])
    header, rows = export.balances_table(daily)
    assert header[1] == "day" and rows[0][:2] == ["GBP", "2025-01-30"]


def test_filenames_name_the_report_and_its_months():
    period = Period(JAN, date(2025, 3, 1))
    assert export.report_filename("balances", period) == "balances-2025-01-to-2025-03.csv"
    assert export.code_filename("40/01 ", period) == "nominal-code-4001-2025-01-to-2025-03.csv"
