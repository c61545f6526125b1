from __future__ import annotations

from functools import partial

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from dashboard.access import MANAGE, READ, WRITE, Scope, account_or_404, scope_for, transaction_or_404
from dashboard.accounts import bp
from dashboard.accounts.edits import categorise_transactions, edit_transaction
from dashboard.accounts.services import AccountError, open_account
from dashboard.accounts.share_forms import ShareForm
from dashboard.accounts.shares import account_shares
from dashboard.accounts.transfers import transfer_candidates, transfer_other_side
from dashboard.accounts.export import export_rows, transaction_csv
from dashboard.accounts.forms import (
    AccountForm,
    BulkCategoryForm,
    ConfirmForm,
    TransactionEditForm,
    TransactionFilterForm,
)
from dashboard.accounts.queries import (
    account_summaries,
    account_summary,
    latest_transactions,
    totals_by_currency,
    transaction_count,
)
from dashboard.accounts.transaction_queries import (
    account_names,
    categories_in_use,
    page_position,
    transaction_page,
)
from dashboard.audit import Actor
from dashboard.downloads import download_response
from dashboard.extensions import db
from dashboard.importers.undo import account_batches
from dashboard.models import Account
from dashboard.redirects import local_url


def _actor() -> Actor:
    """The signed-in user acting from this request's address: every edit's audit event names them."""
    return Actor(current_user.id, request.remote_addr)


@bp.get("/")
@login_required
def overview():
    scope = scope_for(current_user)
    summaries = account_summaries(db.session, scope)
    return render_template(
        "accounts/overview.html",
        summaries=[s for s in summaries if not s.account.closed],
        closed=[s for s in summaries if s.account.closed],
        currency_totals=totals_by_currency(summaries),
        latest=latest_transactions(db.session, scope),
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@login_required
def new_account():
    form = AccountForm()
    if form.validate_on_submit():
        try:
            account = open_account(db.session, scope_for(current_user), _actor(), form.name.data, form.type.data,
                                   form.currency.data, form.institution.data, form.last_four.data,
                                   form.opening_balance.data, form.opening_date.data)
        except AccountError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{account.name} is ready: import a statement into it or add transactions by hand.", "success")
            return redirect(url_for("accounts.import_file", account_id=account.id))
    return render_template("accounts/new_account.html", form=form), 400 if form.errors else 200


@bp.get("/accounts/<int:account_id>")
@login_required
def account(account_id: int):
    scope = scope_for(current_user)
    account = account_or_404(db.session, scope, account_id, need=READ)
    batches = account_batches(db.session, scope, account.id, limit=5)
    owner = scope.allows(account.owner_id, account.id, MANAGE)
    return _transaction_table_page("accounts/account.html", account, batches=batches,
                                   summary=account_summary(db.session, scope, account), confirm=ConfirmForm(),
                                   undo=request.args.get("undo", type=int),
                                   shares=account_shares(db.session, account) if owner else None,
                                   share_form=ShareForm(formdata=None) if owner else None)


@bp.get("/transactions")
@login_required
def transactions():
    return _transaction_table_page("accounts/transactions.html")


@bp.get("/accounts/<int:account_id>/export.csv")
@login_required
def account_export(account_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=READ)
    return _csv_download(account, f"{account.name}.csv")


@bp.get("/transactions/export.csv")
@login_required
def transactions_export():
    return _csv_download(None, "transactions.csv")


@bp.route("/transactions/<int:transaction_id>", methods=["GET", "POST"])
@login_required
def transaction(transaction_id: int):
    scope = scope_for(current_user)
    row = transaction_or_404(db.session, scope, transaction_id, need=WRITE if request.method == "POST" else READ)
    form = TransactionEditForm(obj=row)
    back = local_url(request.args.get("next")) or url_for("accounts.account", account_id=row.account_id)
    if form.validate_on_submit():
        changed = edit_transaction(db.session, scope, _actor(), row, form.category.data, form.note.data)
        db.session.commit()
        flash("Transaction saved." if changed else "Nothing changed.", "success" if changed else "info")
        return redirect(back)
    return render_template("accounts/transaction.html", transaction=row, form=form, back=back,
                           categories=categories_in_use(db.session, scope), confirm=ConfirmForm(),
                           other_side=transfer_other_side(db.session, scope, row),
                           candidates=transfer_candidates(db.session, scope, row))


@bp.post("/transactions/categorise")
@login_required
def categorise():
    form = BulkCategoryForm()
    back = local_url(form.next.data) or url_for("accounts.transactions")
    try:
        ids = [int(value) for value in request.form.getlist("ids")]
    except ValueError:
        ids = []
    if not ids:
        flash("Nothing changed: select at least one transaction.", "warning")
        return redirect(back)
    if not form.validate():
        flash("Nothing changed: " + " ".join(e for errors in form.errors.values() for e in errors), "warning")
        return redirect(back)
    changed = categorise_transactions(db.session, scope_for(current_user), _actor(), ids, form.category.data)
    db.session.commit()
    flash(f"Category set on {changed} transaction{'s' if changed != 1 else ''}.", "success")
    return redirect(back)


def _filter_form(scope: Scope, account: Account | None,
                 categories: list[str] | None = None) -> TransactionFilterForm:
    """The filter bound to the query string, offering the categories in the account (or in every account)
    unless the caller passes the ``categories`` it already read."""
    if categories is None:
        categories = categories_in_use(db.session, scope, account.id if account else None)
    form = TransactionFilterForm(request.args, accounts=account_names(db.session, scope), categories=categories)
    form.validate()
    return form


def _transaction_table_page(template: str, account: Account | None = None, **context):
    scope = scope_for(current_user)
    categories = categories_in_use(db.session, scope)  # suggested in the bulk form
    form = _filter_form(scope, account, None if account else categories)
    filters = form.to_filter(account.id if account else None)
    position = page_position(request.args.get("after"), request.args.get("before"),
                             request.args.get("last") == "1", filters.sort)
    summary = context.get("summary")
    page = transaction_page(db.session, scope, filters, position, per_page=form.page_size,
                            ledger_balance=summary.balance + summary.pending if summary else None)
    page_url = partial(_page_url, form)
    return render_template(
        template, account=account, form=form, filters=filters, page=page,
        total=None if filters.leaves_rows_out else transaction_count(db.session, scope, filters.account_id),
        page_url=page_url, export_url=page_url(endpoint=".account_export" if account else ".transactions_export"),
        bulk_form=BulkCategoryForm(next=request.full_path),
        categories=categories,
        **context,
    )


def _page_url(form: TransactionFilterForm, endpoint: str | None = None, **changes) -> str:
    """This view's URL with the same valid filters, the first page unless ``changes`` name a cursor.

    Only the filter's own fields are carried over: any other query argument could
    collide with ``url_for``'s (``account_id``, ``_external``, ``_method``).
    """
    args = {name: value for name, value in request.args.items()
            if name in form and not form[name].errors and value != ""}
    args.update(changes)
    return url_for(endpoint or request.endpoint, **request.view_args, **args)


def _csv_download(account: Account | None, filename: str) -> Response:
    scope = scope_for(current_user)
    filters = _filter_form(scope, account).to_filter(account.id if account else None)
    return download_response(transaction_csv(export_rows(db.session, scope, filters)), filename)
