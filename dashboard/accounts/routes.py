from __future__ import annotations

from datetime import date
from functools import partial

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from dashboard.access import MANAGE, READ, WRITE, Scope, account_or_404, scope_for, transaction_or_404
from dashboard.accounts import bp
from dashboard.accounts.edits import edit_transaction
from dashboard.accounts.services import AccountError, open_account
from dashboard.accounts.splits import parts_by_transaction, transaction_splits
from dashboard.accounts.share_forms import ShareForm
from dashboard.accounts.shares import account_shares
from dashboard.accounts.transfers import transfer_candidates, transfer_other_side
from dashboard.accounts.export import export_rows, transaction_csv, transaction_xlsx
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
    categories_in_use_and_in,
    filtered_totals,
    filtered_transactions,
    page_position,
    transaction_page,
    whole_page_totals,
)
from dashboard.audit import Actor
from dashboard.budgets.services import this_months_budgets
from dashboard.categories.bulk import categorise_rows
from dashboard.categories.routes import remember_bulk_change
from dashboard.downloads import XLSX_MIMETYPE, download_response
from dashboard.extensions import db
from dashboard.importers.undo import account_batches
from dashboard.models import Account
from dashboard.rates.networth import dashboard_net_worth
from dashboard.rates.transfers import linked_exchange_difference
from dashboard.redirects import local_url
from dashboard.similarity.forms import AcceptSuggestionsForm
from dashboard.similarity.suggestions import similar_transactions, suggestions_for_ids
from dashboard.teller.enrollments import account_sync, needing_reconnect


def _actor() -> Actor:
    """The signed-in user acting from this request's address: every edit's audit event names them."""
    return Actor(current_user.id, request.remote_addr)


@bp.get("/")
@login_required
def overview():
    scope = scope_for(current_user)
    summaries = account_summaries(db.session, scope)
    currency_totals = totals_by_currency(summaries)
    return render_template(
        "accounts/overview.html",
        summaries=[s for s in summaries if not s.account.closed],
        closed=[s for s in summaries if s.account.closed],
        currency_totals=currency_totals,
        net_worth=dashboard_net_worth(db.session, current_user, currency_totals),
        latest=latest_transactions(db.session, scope),
        broken_connections=needing_reconnect(db.session, scope),
        budgets=this_months_budgets(db.session, current_user, date.today()),
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@login_required
def new_account():
    named = request.args.get("currency", "").strip().upper()[:3]  # the import preview's "create one" names it
    form = AccountForm(**({"currency": named} if named else {}))
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
                                   teller=account_sync(db.session, scope, account),
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


@bp.get("/accounts/<int:account_id>/export.xlsx")
@login_required
def account_workbook(account_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=READ)
    return _xlsx_download(account, account.name)


@bp.get("/transactions/export.xlsx")
@login_required
def transactions_workbook():
    return _xlsx_download(None, "Transactions")


SIMILAR_ON_PAGE = 5


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
    other_side = transfer_other_side(db.session, scope, row)
    return render_template("accounts/transaction.html", transaction=row, form=form, back=back,
                           categories=categories_in_use(db.session, scope), confirm=ConfirmForm(),
                           other_side=other_side, candidates=transfer_candidates(db.session, scope, row),
                           exchange=linked_exchange_difference(db.session, scope, row, other_side,
                                                               current_app.config["RATE_MAX_AGE_DAYS"]),
                           splits=transaction_splits(db.session, row),
                           similar=similar_transactions(db.session, scope, row, SIMILAR_ON_PAGE),
                           suggestion=None if row.category else suggestions_for_ids(db.session, scope, [row.id]),
                           accept=AcceptSuggestionsForm(next=request.full_path))


@bp.post("/transactions/categorise")
@login_required
def categorise():
    form = BulkCategoryForm()
    back = local_url(form.next.data) or url_for("accounts.transactions")
    scope = scope_for(current_user)
    every_row = request.form.get("every_row") == "1"
    try:
        ids = [int(value) for value in request.form.getlist("ids")]
    except ValueError:
        ids = []
    if not ids and not every_row:
        flash("Nothing changed: select at least one transaction.", "warning")
        return redirect(back)
    filter_form = _filter_form(scope, None) if every_row else None
    if filter_form is not None and (filter_form.errors or (request.args.get("account")
                                                            and filter_form.account.data is None)):
        abort(404)  # an account the scope does not see, or a filter that is not the one the page showed
    if not form.validate():
        flash("Nothing changed: " + " ".join(e for errors in form.errors.values() for e in errors), "warning")
        return redirect(back)
    result = categorise_rows(db.session, scope, _actor(), form.category.data,
                             **({"matching": filtered_transactions(scope, filter_form.to_filter())} if every_row
                                else {"ids": ids}))
    db.session.commit()
    remember_bulk_change(result.event_id, result.message)
    flash(result.message + ".", "success" if result.changed else "info")
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


EVERY_TOTAL = "all"  # ?totals=all: the filtered view's exact totals however many rows match
PAGE_CURSORS = ("after", "before", "last")


def _transaction_table_page(template: str, account: Account | None = None, **context):
    scope = scope_for(current_user)
    if account is None:
        categories = account_categories = categories_in_use(db.session, scope)  # the bulk form's and the filter's
    else:
        categories, account_categories = categories_in_use_and_in(db.session, scope, account.id)
    form = _filter_form(scope, account, account_categories)
    filters = form.to_filter(account.id if account else None)
    position = page_position(request.args.get("after"), request.args.get("before"),
                             request.args.get("last") == "1", filters.sort)
    summary = context.get("summary")
    page = transaction_page(db.session, scope, filters, position, per_page=form.page_size,
                            ledger_balance=summary.balance + summary.pending if summary else None,
                            account_column=account is None)
    page_url = partial(_page_url, form)
    totals_limit = None if request.args.get("totals") == EVERY_TOTAL else current_app.config["FILTERED_TOTALS_LIMIT"]
    return render_template(
        template, account=account, form=form, filters=filters, page=page,
        total=None if filters.leaves_rows_out else _row_count(scope, filters, summary),
        totals=_view_totals(scope, filters, page, totals_limit),
        totals_limit=totals_limit,
        totals_url=page_url(totals=EVERY_TOTAL, **{name: value for name, value in request.args.items()
                                                   if name in PAGE_CURSORS}),
        page_url=page_url, export_url=page_url(endpoint=".account_export" if account else ".transactions_export"),
        workbook_url=page_url(endpoint=".account_workbook" if account else ".transactions_workbook"),
        bulk_form=BulkCategoryForm(next=request.full_path),
        categories=categories, parts=parts_by_transaction(db.session, page.split_ids),
        **context,
    )


def _view_totals(scope: Scope, filters, page, limit: int | None):
    """A filtered view's count and sums: from its page when that holds every match, else counted up to ``limit``
    rows (None past it); none for an unfiltered view, which shows its row count."""
    if not filters.leaves_rows_out:
        return []
    held = whole_page_totals(page, filters)
    return held if held is not None else filtered_totals(db.session, scope, filters, limit)


def _row_count(scope: Scope, filters, summary) -> int:
    """The unfiltered table's row count: the account summary's when it counted the same account."""
    if summary is not None and summary.account.id == filters.account_id:
        return summary.transactions
    return transaction_count(db.session, scope, filters.account_id)


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


def _xlsx_download(account: Account | None, title: str) -> Response:
    scope = scope_for(current_user)
    filters = _filter_form(scope, account).to_filter(account.id if account else None)
    workbook = transaction_xlsx(export_rows(db.session, scope, filters), title)
    return download_response(workbook, f"{title}.xlsx", mimetype=XLSX_MIMETYPE)
