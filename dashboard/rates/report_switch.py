"""The "in <home currency>" switch of the report pages: ``?in_home=1`` adds the report converted."""
from __future__ import annotations

from datetime import date

from flask import current_app, request, url_for
from flask_login import current_user

from dashboard.access import Scope
from dashboard.extensions import db
from dashboard.rates.preferences import home_currency, income_conversion
from dashboard.rates import reports as converted_reports  # a module: dashboard.reports imports this one

SWITCH = "in_home"


def home_currency_report(scope: Scope, filters, report: str, per_currency=None) -> dict:
    """Template values: the home currency, the URL that turns the switch over, and (when on, for a user's
    own pages) the converted report. The organisation-wide pages have no one home currency: no switch."""
    if scope.everyone or not current_user.is_authenticated:
        return {}
    home = home_currency(db.session, current_user)
    on = request.args.get(SWITCH) == "1"
    args = {name: value for name, value in request.args.items() if name != SWITCH}
    if not on:
        args[SWITCH] = "1"
    values = {"home_currency": home, "home_switch_url": url_for(request.endpoint, **request.view_args, **args)}
    if on:
        values["converted"] = _converted(scope, filters, report, home, per_currency)
    return values


def _converted(scope: Scope, filters, report: str, home: str, per_currency):
    """``report``: "income_expenses", "categories", or "balances" and "budgets" (which convert the
    ``per_currency`` report)."""
    max_age, today = current_app.config["RATE_MAX_AGE_DAYS"], date.today()
    if report == "balances":
        return converted_reports.converted_balances(db.session, scope, per_currency, home, max_age, today)
    if report == "budgets":
        return converted_reports.converted_budgets(db.session, scope, per_currency, home, max_age, today)
    build = {"income_expenses": converted_reports.converted_income_and_expenses,
             "categories": converted_reports.converted_spending_by_category}[report]
    return build(db.session, scope, filters.period, home, income_conversion(current_user), max_age, today,
                 filters.account_id, filters.currency)
