from flask import render_template
from flask_login import current_user, login_required

from dashboard.accounts import bp
from dashboard.accounts.queries import (
    account_summaries,
    latest_transactions,
    totals_by_currency,
    user_account_or_404,
)
from dashboard.extensions import db


@bp.get("/")
@login_required
def overview():
    summaries = account_summaries(db.session, current_user.id)
    return render_template(
        "accounts/overview.html",
        summaries=summaries,
        currency_totals=totals_by_currency([s.account for s in summaries]),
        latest=latest_transactions(db.session, current_user.id),
    )


@bp.get("/accounts/<int:account_id>")
@login_required
def account(account_id: int):
    account = user_account_or_404(db.session, current_user.id, account_id)
    return render_template("accounts/account.html", account=account,
                           transactions=latest_transactions(db.session, current_user.id, limit=50, account_id=account.id))
