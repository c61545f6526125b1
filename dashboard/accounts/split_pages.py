"""The split page of a transaction: its parts, with the remainder shown as the user types."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from dashboard.access import READ, WRITE, scope_for, transaction_or_404
from dashboard.accounts import bp
from dashboard.accounts.edits import TransactionError
from dashboard.accounts.split_forms import EMPTY_ROWS, SplitForm
from dashboard.accounts.splits import MAX_PARTS, split_transaction, transaction_splits
from dashboard.accounts.transaction_queries import categories_in_use
from dashboard.audit import Actor
from dashboard.extensions import db


@bp.route("/transactions/<int:transaction_id>/split", methods=["GET", "POST"])
@login_required
def split_transaction_page(transaction_id: int):
    scope = scope_for(current_user)
    row = transaction_or_404(db.session, scope, transaction_id, need=WRITE if request.method == "POST" else READ)
    parts = transaction_splits(db.session, row)
    if request.method == "POST":
        form = SplitForm()
    else:
        rows = [{"amount": p.amount, "category": p.category, "note": p.note} for p in parts] or [
            {"amount": row.amount, "category": row.category, "note": None}]
        form = SplitForm(data={"parts": rows + [{}] * min(EMPTY_ROWS, MAX_PARTS - len(rows))})
    if form.validate_on_submit():
        try:
            count = split_transaction(db.session, scope, Actor(current_user.id, request.remote_addr), row,
                                      form.entered_parts())
        except TransactionError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Split into {count} parts." if count else "The transaction is whole again.", "success")
            return redirect(url_for("accounts.transaction", transaction_id=row.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/split.html", transaction=row, form=form, parts=parts,
                           categories=categories_in_use(db.session, scope)), status
