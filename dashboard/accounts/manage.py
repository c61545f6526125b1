"""Pages that change accounts and add or remove transactions by hand; each calls one service and redirects."""
from __future__ import annotations

from decimal import Decimal

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from dashboard.access import MANAGE, READ, WRITE, account_or_404, scope_for, transaction_or_404
from dashboard.accounts import bp
from dashboard.accounts.edits import (
    NeedsConfirmation,
    TransactionError,
    add_transaction,
    delete_transaction,
    restore_transaction,
    update_transaction,
)
from dashboard.accounts.forms import AccountEditForm, ConfirmForm, TransactionForm
from dashboard.accounts.routes import _actor
from dashboard.redirects import local_url
from dashboard.accounts.services import AccountError, delete_account, deletion_summary, set_closed, update_account
from dashboard.accounts.transaction_queries import categories_in_use
from dashboard.accounts.transfers import TransferError, link_transfer, suggested_transfers, unlink_transfer
from dashboard.balances import first_departures, first_difference, mark_reconciled, reconciliation
from dashboard.extensions import db
from dashboard.models.accounts import TransactionSource
from dashboard.rates.transfers import cross_currency_suggestions

ACCOUNT_FIELDS = ("name", "type", "institution", "last_four", "currency", "opening_balance", "opening_date")


@bp.route("/accounts/<int:account_id>/edit", methods=["GET", "POST"])
@login_required
def edit_account(account_id: int):
    scope = scope_for(current_user)
    account = account_or_404(db.session, scope, account_id, need=MANAGE)
    form = AccountEditForm(obj=account)
    if form.validate_on_submit():
        try:
            changed = update_account(db.session, scope, _actor(), account,
                                     **{field: form[field].data for field in ACCOUNT_FIELDS})
        except AccountError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash("Account saved." if changed else "Nothing changed.", "success" if changed else "info")
            return redirect(url_for("accounts.account", account_id=account.id))
    return render_template("accounts/edit_account.html", account=account, form=form, confirm=ConfirmForm(),
                           gone=deletion_summary(db.session, account)), 400 if form.errors else 200


@bp.post("/accounts/<int:account_id>/close")
@login_required
def close_account(account_id: int):
    return _set_closed(account_id, closed=True)


@bp.post("/accounts/<int:account_id>/reopen")
@login_required
def reopen_account(account_id: int):
    return _set_closed(account_id, closed=False)


def _set_closed(account_id: int, closed: bool):
    scope = scope_for(current_user)
    account = account_or_404(db.session, scope, account_id, need=MANAGE)
    if ConfirmForm().validate_on_submit():
        set_closed(db.session, scope, _actor(), account, closed)
        db.session.commit()
        flash(f"{account.name} is {'closed: it stays in history and reports' if closed else 'open again'}.",
              "success")
    return redirect(url_for("accounts.account", account_id=account.id))


@bp.route("/accounts/<int:account_id>/delete", methods=["GET", "POST"])
@login_required
def remove_account(account_id: int):
    scope = scope_for(current_user)
    account = account_or_404(db.session, scope, account_id, need=MANAGE)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = account.name
        gone = delete_account(db.session, scope, _actor(), account)
        db.session.commit()
        flash(f"{name} was deleted with its {gone['transactions']} transactions and {gone['imports']} imports.",
              "success")
        return redirect(url_for("accounts.overview"))
    return render_template("accounts/delete_account.html", account=account, form=form,
                           gone=deletion_summary(db.session, account))


@bp.route("/accounts/<int:account_id>/transactions/new", methods=["GET", "POST"])
@login_required
def add_transaction_page(account_id: int):
    scope = scope_for(current_user)
    account = account_or_404(db.session, scope, account_id, need=WRITE)
    form = TransactionForm()
    if form.validate_on_submit():
        try:
            add_transaction(db.session, scope, _actor(), account, form.values())
        except TransactionError as error:
            db.session.rollback()
            form.amount.errors.append(str(error))
        else:
            db.session.commit()
            flash("Transaction added.", "success")
            return redirect(url_for("accounts.account", account_id=account.id))
    return render_template("accounts/transaction_form.html", account=account, form=form, row=None,
                           categories=categories_in_use(db.session, scope)), 400 if form.errors else 200


@bp.route("/transactions/<int:transaction_id>/edit", methods=["GET", "POST"])
@login_required
def edit_transaction_page(transaction_id: int):
    scope = scope_for(current_user)
    row = transaction_or_404(db.session, scope, transaction_id, need=WRITE if request.method == "POST" else READ)
    manual = row.source == TransactionSource.MANUAL
    form = TransactionForm(obj=row)
    if request.method == "GET":
        form.fill(row)
    needs_confirmation = None
    if form.validate_on_submit():
        try:
            changed = update_transaction(db.session, scope, _actor(), row, form.values(manual),
                                         confirmed=request.form.get("confirmed") == "1")
        except NeedsConfirmation as question:
            db.session.rollback()
            needs_confirmation = str(question)
        except TransactionError as error:
            db.session.rollback()
            form.amount.errors.append(str(error))
        else:
            db.session.commit()
            flash("Transaction saved." if changed else "Nothing changed.", "success" if changed else "info")
            return redirect(url_for("accounts.account", account_id=row.account_id))
    return render_template("accounts/transaction_form.html", account=row.account, form=form, row=row, manual=manual,
                           needs_confirmation=needs_confirmation,
                           categories=categories_in_use(db.session, scope)), 400 if form.errors else 200


@bp.post("/transactions/<int:transaction_id>/delete")
@login_required
def delete_transaction_page(transaction_id: int):
    scope = scope_for(current_user)
    row = transaction_or_404(db.session, scope, transaction_id, need=WRITE)
    account_id = row.account_id
    if ConfirmForm().validate_on_submit():
        event = delete_transaction(db.session, scope, _actor(), row)
        db.session.commit()
        flash("Transaction deleted.", "success")
        return redirect(url_for("accounts.account", account_id=account_id, undo=event.id))
    return redirect(url_for("accounts.account", account_id=account_id))


@bp.post("/transactions/restore")
@login_required
def restore_transaction_page():
    scope = scope_for(current_user)
    try:
        event_id = int(request.form.get("event", ""))
    except ValueError:
        abort(400)
    if ConfirmForm().validate_on_submit():
        restored = restore_transaction(db.session, scope, _actor(), event_id)
        db.session.commit()
        if restored is not None:
            flash("Transaction restored.", "success")
            return redirect(url_for("accounts.account", account_id=restored.account_id))
    flash("Nothing to restore.", "info")
    return redirect(url_for("accounts.overview"))


@bp.route("/transfers", methods=["GET", "POST"])
@login_required
def transfers():
    """Suggested transfers, each confirmed with one button."""
    scope = scope_for(current_user)
    form = ConfirmForm()
    if form.validate_on_submit():
        _link(scope, request.form.get("out"), request.form.get("into"))
        return redirect(local_url(request.form.get("next")) or url_for("accounts.transfers"))
    return render_template("accounts/transfers.html", pairs=suggested_transfers(db.session, scope), form=form,
                           cross_pairs=cross_currency_suggestions(
                               db.session, scope, current_app.config["RATE_MAX_AGE_DAYS"],
                               Decimal(current_app.config["TRANSFER_RATE_TOLERANCE_PERCENT"])))


@bp.post("/transactions/<int:transaction_id>/unlink")
@login_required
def unlink_transfer_page(transaction_id: int):
    scope = scope_for(current_user)
    row = transaction_or_404(db.session, scope, transaction_id, need=WRITE)
    if ConfirmForm().validate_on_submit() and unlink_transfer(db.session, scope, _actor(), row.id):
        db.session.commit()
        flash("The transfer link was removed.", "success")
    return redirect(url_for("accounts.transaction", transaction_id=row.id))


def _link(scope, first: str | None, second: str | None) -> None:
    try:
        pair = link_transfer(db.session, scope, _actor(), int(first or ""), int(second or ""))
    except (TransferError, ValueError) as error:
        db.session.rollback()
        flash(f"Not linked: {error}" if isinstance(error, TransferError) else "Not linked: choose two rows.",
              "warning")
        return
    db.session.commit()
    flash(f"Linked as a transfer: {pair.out.account.name} to {pair.into.account.name}.", "success")


@bp.route("/accounts/<int:account_id>/reconcile", methods=["GET", "POST"])
@login_required
def reconcile(account_id: int):
    scope = scope_for(current_user)
    account = account_or_404(db.session, scope, account_id, need=READ)
    form = ConfirmForm()
    if form.validate_on_submit():
        account_or_404(db.session, scope, account_id, need=WRITE)
        try:
            stated_id = int(request.form.get("stated", ""))
        except ValueError:
            abort(400)
        if mark_reconciled(db.session, scope, _actor(), account, stated_id):
            db.session.commit()
            flash("Marked reconciled: editing a row in that period will ask first.", "success")
        return redirect(url_for("accounts.reconcile", account_id=account.id))
    checks = reconciliation(db.session, scope, account.id)
    departure = next(iter(first_departures(db.session, scope, account.id)), None)
    return render_template("accounts/reconcile.html", account=account, checks=checks, form=form,
                           first=first_difference(checks), departure=departure)
