"""Reports as JSON: the report pages' queries and parameters (period, start, end, account, currency)."""
from __future__ import annotations

from datetime import date

from flask import current_app, g, request
from werkzeug.exceptions import UnprocessableEntity

from dashboard.api import bp, scope
from dashboard.api.documents import errors
from dashboard.api.schemas import (BalancesReport, CategoriesReport, ConvertibleReportQuery,
                                   ConvertibleReportQueryWithStep, IncomeExpensesReport, NetWorthQuery,
                                   NetWorthReport, ProfitAndLossReport, ReportQuery)
from dashboard.extensions import db
from dashboard.rates.files import currency_code
from dashboard.rates import reports as converted_reports
from dashboard.rates.conversion import UsedRate
from dashboard.rates.networth import Holding, NetWorth, net_worth
from dashboard.rates.preferences import home_currency, income_conversion
from dashboard.reports import balances as balance_reports
from dashboard.reports import profit_and_loss as pnl
from dashboard.reports.forms import BalancesFilterForm, ReportFilterForm, read_filters
from dashboard.reports.queries import filter_choices, income_and_expenses, spending_by_category


def _filters(default_preset: str = "last_12_months", form_class: type[ReportFilterForm] = ReportFilterForm):
    """The pages' filters read from the query string; what the pages would ignore is a 422 here."""
    accounts, currencies = filter_choices(db.session, scope())
    _, filters = read_filters(request.args, accounts, currencies, date.today(), default_preset, form_class)
    if filters.errors:
        error = UnprocessableEntity("; ".join(filters.errors))
        error.data = {"messages": {"query": filters.errors}}
        raise error
    return filters


def _target(code: str | None) -> str | None:
    """The currency a report is converted into (``convert_to``), refused when it is no ISO 4217 code."""
    if code is not None and currency_code(code) is None:
        raise UnprocessableEntity(f"{code} is not an ISO 4217 currency code")
    return code


def _rate(used: UsedRate) -> dict:
    return {"currency": used.base, "rate": used.value, "rate_date": used.day, "via": used.via, "days": used.days,
            "description": used.describe()}


def _rates(rates: dict[str, UsedRate], target: str) -> list[dict]:
    return [_rate(used) for held, used in sorted(rates.items()) if held != target]


def _unconverted(parts) -> list[dict]:
    return [{"currency": p.currency, "income": p.income, "expenses": p.expenses, "missing": str(p.reason)}
            for p in parts]


def _holding(h: Holding) -> dict:
    return {"currency": h.currency, "balance": h.balance, "converted": h.converted,
            "rate": h.rate.value if h.rate else None, "rate_date": h.rate.day if h.rate else None,
            "via": h.rate.via if h.rate else None, "missing": str(h.missing) if h.missing else None}


def _converted_args(filters, target: str) -> tuple:
    owner = g.api_token.owner
    return (db.session, scope(), filters.period, target, income_conversion(owner),
            current_app.config["RATE_MAX_AGE_DAYS"], date.today(), filters.account_id, filters.currency)


@bp.get("/reports/income-and-expenses")
@bp.arguments(ConvertibleReportQuery, location="query")
@bp.response(200, IncomeExpensesReport)
@errors(422)
def income_expenses(query):
    """Money in and out per month, per currency (transfers left out); with ``convert_to``, also in one currency,
    each currency's part at its day's rate (or the month's average: the owner's setting) with the rates used."""
    target = _target(query["convert_to"])
    filters = _filters()
    report = income_and_expenses(db.session, scope(), filters.period, filters.account_id, filters.currency)
    converted = None
    if target:
        whole = converted_reports.converted_income_and_expenses(*_converted_args(filters, target))
        converted = {"currency": target, "conversion": str(whole.conversion), "complete": whole.complete,
                     "income": whole.income, "expenses": whole.expenses, "net": whole.net,
                     "months": [{"month": m.month, "income": m.income, "expenses": m.expenses, "net": m.net,
                                 "rates": _rates(m.rates, target), "unconverted": _unconverted(m.unconverted)}
                                for m in whole.months]}
    return {"first_month": filters.period.first, "last_month": filters.period.last,
            "data": [{"currency": r.currency, "income": r.income, "expenses": r.expenses, "net": r.net,
                      "months": r.months} for r in report], "converted": converted}


@bp.get("/reports/categories")
@bp.arguments(ConvertibleReportQuery, location="query")
@bp.response(200, CategoriesReport)
@errors(422)
def categories(query):
    """Spending per category, per currency, against the period before; with ``convert_to``, also in one
    currency, each currency's part converted on its own with the rates used."""
    target = _target(query["convert_to"])
    filters = _filters()
    report = spending_by_category(db.session, scope(), filters.period, filters.account_id, filters.currency)
    converted = None
    if target:
        whole = converted_reports.converted_spending_by_category(*_converted_args(filters, target))
        converted = {"currency": target, "conversion": str(whole.conversion), "complete": whole.complete,
                     "spent": whole.spent,
                     "categories": [{"category": c.category, "spent": c.spent, "rates": _rates(c.rates, target),
                                     "unconverted": _unconverted(c.unconverted)} for c in whole.categories]}
    return {"first_month": filters.period.first, "last_month": filters.period.last,
            "data": [{"currency": r.currency, "spent": r.spent, "categories": r.categories} for r in report],
            "converted": converted}


@bp.get("/reports/profit-and-loss")
@bp.arguments(ReportQuery, location="query")
@bp.response(200, ProfitAndLossReport)
@errors(422)
def profit_and_loss(_query):
    """The nominal ledger's profit and loss statement per month, per currency, every range's codes listed."""
    filters = _filters(default_preset="year_to_date")
    ranges = pnl.nominal_ranges(current_app.config.get("PNL_RANGES"))
    report = pnl.profit_and_loss(db.session, scope(), filters.period, filters.account_id, filters.currency, ranges)
    everything = [r.key for r in ranges]
    return {"first_month": filters.period.first, "last_month": filters.period.last, "months": filters.period.months,
            "data": [{"currency": r.currency, "rows": r.rows(everything)} for r in report]}


@bp.get("/reports/balances")
@bp.arguments(ConvertibleReportQueryWithStep, location="query")
@bp.response(200, BalancesReport)
@errors(422)
def balances(query):
    """Each account's balance at the end of each month (or day, with step=daily), per currency; with
    ``convert_to``, also net worth at each point in one currency, at the rates of the point's last day."""
    target = _target(query["convert_to"])
    filters = _filters(form_class=BalancesFilterForm)
    try:
        report = balance_reports.balances_over_time(db.session, scope(), filters.period, filters.account_id,
                                                    filters.currency, filters.step)
    except ValueError as error:
        raise UnprocessableEntity(str(error)) from None
    return {"first_month": filters.period.first, "last_month": filters.period.last, "step": report.step,
            "points": report.points,
            "data": [{"currency": c.currency, "net_worth": c.net_worth, "accounts": c.accounts}
                     for c in report.currencies],
            "converted": None if target is None else [
                _point(point, worth) for point, worth in zip(report.points, converted_reports.converted_balances(
                    db.session, scope(), report, target, current_app.config["RATE_MAX_AGE_DAYS"], date.today()))]}


def _point(point: date, worth: NetWorth) -> dict:
    return {"point": point, "as_of": worth.as_of, "total": worth.total, "converted_sum": worth.converted_sum,
            "data": [_holding(h) for h in worth.holdings]}


@bp.get("/reports/net-worth")
@bp.arguments(NetWorthQuery, location="query")
@bp.response(200, NetWorthReport)
@errors(422)
def net_worth_report(query):
    """Net worth on a date converted into one currency (?currency=GBP), each currency with the rate used."""
    owner = g.api_token.owner
    currency = query["currency"] or home_currency(db.session, owner)
    if currency_code(currency) is None:
        raise UnprocessableEntity(f"{currency} is not an ISO 4217 currency code")
    worth = net_worth(db.session, scope(), currency, query["as_of"] or date.today(),
                      current_app.config["RATE_MAX_AGE_DAYS"])
    return {"currency": worth.currency, "as_of": worth.as_of, "total": worth.total,
            "data": [_holding(h) for h in worth.holdings]}
