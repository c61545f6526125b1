"""Report pages over what the signed-in user may see; the organisation-wide ones are in ``admin``."""
from flask import render_template, request
from flask_login import current_user, login_required

from dashboard.access import scope_for
from dashboard.audit import Actor
from dashboard.reports import bp, views


def _own() -> views.ReportContext:
    return views.ReportContext(scope_for(current_user), blueprint="reports")


@bp.get("/")
@login_required
def index():
    return render_template("reports/index.html", report_context=_own())


@bp.get("/income-and-expenses")
@login_required
def income_expenses():
    return views.income_expenses_page(_own())


@bp.get("/categories")
@login_required
def categories():
    return views.categories_page(_own())


@bp.get("/profit-and-loss")
@login_required
def profit_and_loss():
    return views.profit_and_loss_page(_own())


@bp.get("/profit-and-loss/codes/<code>")
@login_required
def code_transactions(code: str):
    return views.code_transactions_page(_own(), code)


@bp.get("/balances")
@login_required
def balances():
    return views.balances_page(_own())


@bp.get("/trial-balance")
@login_required
def trial_balance():
    return views.trial_balance_page(_own())


@bp.get("/balance-sheet")
@login_required
def balance_sheet():
    return views.balance_sheet_page(_own())


@bp.route("/codes", methods=["GET", "POST"])
@login_required
def nominal_codes():
    return views.nominal_codes_page(_own(), Actor(current_user.id, request.remote_addr))
