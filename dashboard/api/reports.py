"""Reports as JSON: the report pages' queries and parameters (period, start, end, account, currency)."""
from __future__ import annotations

from datetime import date

from flask import current_app, g, request
from werkzeug.exceptions import UnprocessableEntity

from dashboard.api import bp, scope
from dashboard.api.documents import errors
from dashboard.api.schemas import (BalancesReport, CategoriesReport, IncomeExpensesReport, NetWorthQuery,
                                   NetWorthReport, ProfitAndLossReport, ReportQuery, ReportQueryWithStep)
from dashboard.extensions import db
from dashboard.rates.files import currency_code
from dashboard.rates.networth import net_worth
from dashboard.rates.preferences import home_currency
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


@bp.get("/reports/income-and-expenses")
@bp.arguments(ReportQuery, location="query")
@bp.response(200, IncomeExpensesReport)
@errors(422)
def income_expenses(_query):
    """Money in and out per month, per currency (transfers left out)."""
    filters = _filters()
    report = income_and_expenses(db.session, scope(), filters.period, filters.account_id, filters.currency)
    return {"first_month": filters.period.first, "last_month": filters.period.last,
            "data": [{"currency": r.currency, "income": r.income, "expenses": r.expenses, "net": r.net,
                      "months": r.months} for r in report]}


@bp.get("/reports/categories")
@bp.arguments(ReportQuery, location="query")
@bp.response(200, CategoriesReport)
@errors(422)
def categories(_query):
    """Spending per category, per currency, against the period before."""
    filters = _filters()
    report = spending_by_category(db.session, scope(), filters.period, filters.account_id, filters.currency)
    return {"first_month": filters.period.first, "last_month": filters.period.last,
            "data": [{"currency": r.currency, "spent": r.spent, "categories": r.categories} for r in report]}


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
@bp.arguments(ReportQueryWithStep, location="query")
@bp.response(200, BalancesReport)
@errors(422)
def balances(_query):
    """Each account's balance at the end of each month (or day, with step=daily), per currency."""
    filters = _filters(form_class=BalancesFilterForm)
    try:
        report = balance_reports.balances_over_time(db.session, scope(), filters.period, filters.account_id,
                                                    filters.currency, filters.step)
    except ValueError as error:
        raise UnprocessableEntity(str(error)) from None
    return {"first_month": filters.period.first, "last_month": filters.period.last, "step": report.step,
            "points": report.points,
            "data": [{"currency": c.currency, "net_worth": c.net_worth, "accounts": c.accounts}
                     for c in report.currencies]}


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
            "data": [{"currency": h.currency, "balance": h.balance, "converted": h.converted,
                      "rate": h.rate.value if h.rate else None, "rate_date": h.rate.day if h.rate else None,
                      "via": h.rate.via if h.rate else None, "missing": str(h.missing) if h.missing else None}
                     for h in worth.holdings]}
