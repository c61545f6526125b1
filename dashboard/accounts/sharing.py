"""The account page's sharing: the owner shares the account with another user, or stops."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user, login_required

from dashboard.access import MANAGE, account_or_404, scope_for
from dashboard.accounts import bp
from dashboard.accounts.routes import _actor
from dashboard.accounts.share_forms import READ_WRITE, ShareForm, UnshareForm
from dashboard.accounts.shares import ShareError, share_account, unshare_account
from dashboard.extensions import db


def _form_problem(form) -> str:
    return "Nothing changed: " + " ".join(e for errors in form.errors.values() for e in errors)


@bp.post("/accounts/<int:account_id>/shares")
@login_required
def share(account_id: int):
    scope = scope_for(current_user)
    account = account_or_404(db.session, scope, account_id, need=MANAGE)
    form = ShareForm()
    if not form.validate_on_submit():
        flash(_form_problem(form), "danger")
    else:
        try:
            share_account(db.session, scope, _actor(), account, form.email.data, form.access.data == READ_WRITE)
        except ShareError as error:
            db.session.rollback()
            flash(f"Nothing changed: {error}.", "danger")
        else:
            db.session.commit()
            flash(f"{account.name} is shared with {form.email.data.strip()}.", "success")
    return redirect(url_for("accounts.account", account_id=account.id, _anchor="sharing"))


@bp.post("/accounts/<int:account_id>/shares/remove")
@login_required
def unshare(account_id: int):
    scope = scope_for(current_user)
    account = account_or_404(db.session, scope, account_id, need=MANAGE)
    form = UnshareForm()
    if not form.validate_on_submit():
        flash(_form_problem(form), "danger")
    elif unshare_account(db.session, scope, _actor(), account, form.email.data):
        db.session.commit()
        flash(f"{account.name} is no longer shared with {form.email.data.strip()}.", "success")
    else:
        flash(f"{account.name} was not shared with {form.email.data.strip()}.", "info")
    return redirect(url_for("accounts.account", account_id=account.id, _anchor="sharing"))
