"""Report pages over the signed-in user's own data; the organisation-wide ones are in ``admin``."""
from flask import render_template
from flask_login import current_user, login_required

from dashboard.reports import bp, pages


def _own() -> pages.Scope:
    return pages.Scope(owner_id=current_user.id, blueprint="reports")


@bp.get("/")
@login_required
def index():
    return render_template("reports/index.html", scope=_own())


@bp.get("/income-and-expenses")
@login_required
def income_expenses():
    return pages.income_expenses_page(_own())


@bp.get("/categories")
@login_required
def categories():
    return pages.categories_page(_own())


@bp.get("/profit-and-loss")
@login_required
def profit_and_loss():
    return pages.profit_and_loss_page(_own())


@bp.get("/profit-and-loss/codes/<code>")
@login_required
def code_transactions(code: str):
    return pages.code_transactions_page(_own(), code)


@bp.get("/balances")
@login_required
def balances():
    return pages.balances_page(_own())
