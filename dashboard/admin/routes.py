"""Admin pages: installation figures and the reports across every user. Other users get 403,
except viewers (bookkeepers) on the organisation's bookkeeping reports."""
from flask import abort, render_template, request
from flask_login import current_user

from dashboard.access import Scope
from dashboard.admin import bp
from dashboard.admin.queries import installation_figures
from dashboard.extensions import db, login_manager
from dashboard.models.users import Role
from dashboard.similarity.store import similarity_status
from dashboard.reports import views

ORGANISATION = views.ReportContext(Scope.organisation(), blueprint="admin")
# A viewer's reports: the organisation's totals, never the transactions behind them (a code's drill-down).
BOOKKEEPING_ENDPOINTS = {"admin.profit_and_loss", "admin.trial_balance", "admin.balance_sheet"}


@bp.before_request
def require_admin():
    """Anonymous visitors go to the login page; signed-in users who are not admins get 403, no redirect."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin and not (current_user.role == Role.VIEWER
                                          and request.endpoint in BOOKKEEPING_ENDPOINTS):
        abort(403)
    return None


@bp.get("/")
def index():
    return render_template("admin/index.html", figures=installation_figures(db.session, ORGANISATION.scope),
                           similarity=similarity_status(db.session), report_context=ORGANISATION)


@bp.get("/reports/income-and-expenses")
def income_expenses():
    return views.income_expenses_page(ORGANISATION)


@bp.get("/reports/categories")
def categories():
    return views.categories_page(ORGANISATION)


@bp.get("/reports/profit-and-loss")
def profit_and_loss():
    return views.profit_and_loss_page(ORGANISATION)


@bp.get("/reports/profit-and-loss/codes/<code>")
def code_transactions(code: str):
    return views.code_transactions_page(ORGANISATION, code)


@bp.get("/reports/balances")
def balances():
    return views.balances_page(ORGANISATION)


@bp.get("/reports/trial-balance")
def trial_balance():
    return views.trial_balance_page(ORGANISATION)


@bp.get("/reports/balance-sheet")
def balance_sheet():
    return views.balance_sheet_page(ORGANISATION)
