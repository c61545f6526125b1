"""The report pages, rendered over one user's data or the whole organisation's, as HTML or CSV.

``reports.routes`` serves them over the signed-in user's scope and
``admin.routes`` over the organisation's; both call these views with a
``ReportContext``. ``?format=csv`` downloads what the table shows, from the
same query results, through ``reports.export``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import BadRequest

from dashboard.access import Scope
from dashboard.accounts.transaction_queries import MONEY_OUT, UNCATEGORISED
from dashboard.downloads import XLSX_MIMETYPE, csv_lines, download_response, xlsx_workbook
from dashboard.extensions import db
from dashboard.audit import Actor
from dashboard.reports import balances, bookkeeping, charts, export, nominal_codes, profit_and_loss, queries
from dashboard.reports.forms import BalancesFilterForm, NominalCodeForm, ReportFilterForm, ReportFilters, read_filters
from dashboard.rates.report_switch import home_currency_report

TRANSACTIONS_ENDPOINT = "accounts.transactions"
QUERY_SAFE = "!$'()*,/:;?@"  # what url_for (Werkzeug's url_encode) leaves unquoted in a query


@dataclass(frozen=True)
class ReportContext:
    """Whose data a report page shows (the access scope) and which blueprint its own links point at."""

    scope: Scope
    blueprint: str  # "reports" or "admin"

    @property
    def organisation(self) -> bool:
        return self.scope.everyone

    def endpoint(self, name: str) -> str:
        return f"{self.blueprint}.{name}"


def _filters(context: ReportContext, form_class: type[ReportFilterForm] = ReportFilterForm):
    """The page's filters; every report opens on the same default period (``periods.DEFAULT_PRESET``)."""
    accounts, currencies = queries.filter_choices(db.session, context.scope)
    return read_filters(request.args, accounts, currencies, date.today(), form_class=form_class)


DOWNLOAD_FORMATS = ("csv", "xlsx")


def _wants_csv() -> bool:
    """Whether the request asks for the table as a file: ``?format=csv`` or ``?format=xlsx``."""
    return request.args.get("format") in DOWNLOAD_FORMATS


def _download(table: export.Table, filename: str):
    """The table as CSV, or as an XLSX workbook (same cells, real numbers and dates) for ``?format=xlsx``."""
    header, rows = table
    if request.args.get("format") == "xlsx":
        name = filename.removesuffix(".csv")
        return download_response(xlsx_workbook(header, rows, title=name), f"{name}.xlsx", mimetype=XLSX_MIMETYPE)
    return download_response(csv_lines(header, rows), filename)


def _render(template: str, context: ReportContext, form, filters: ReportFilters, **values) -> str:
    args = {**request.view_args, **filters.query_args(), **_extra_args()}
    return render_template(template, report_context=context, form=form, filters=filters,
                           csv_url=url_for(request.endpoint, **args, format="csv"),
                           xlsx_url=url_for(request.endpoint, **args, format="xlsx"),
                           **values)


def _extra_args() -> dict:
    expanded = request.args.getlist("expand")
    return {"expand": expanded} if expanded else {}


def transactions_url(path: str, category: str, filters: ReportFilters, account_id: int | None = None) -> str:
    """The transactions view (at ``path``) showing money out in one category ('' for none) over the period,
    in one account or (``account_id`` None) in all of them.

    The query is encoded as ``url_for`` encodes it; the path comes from one ``url_for`` per report, since a
    report links every category and a ``url_for`` each cost more than the rest of a category's row.
    """
    args = {"category": category or UNCATEGORISED, "date_from": filters.period.start_date.isoformat(),
            "date_to": filters.period.end_date.isoformat(), "direction": MONEY_OUT}
    if account_id is not None:
        args["account"] = account_id
    return f"{path}?{urlencode(args, safe=QUERY_SAFE)}"


@dataclass(frozen=True)
class CategoryLink:
    url: str
    account: str = ""  # set when the figure is split into one link per account
    spent: Decimal = Decimal(0)


def category_links(report: list[queries.CurrencySpending], filters: ReportFilters,
                   account_labels: dict[int, str]) -> dict[tuple[str, str], list[CategoryLink]]:
    """For each (currency, category), links to exactly the rows behind its figure (none when it is zero).

    The transactions view filters by account but not by currency, so one link covers a category only
    when the report covers every account and no other currency has spending in that category, or
    when its money left one account; otherwise the figure is split into one link per account.
    """
    currencies_spending: dict[str, int] = {}
    for currency in report:
        for item in currency.categories:
            if item.by_account:
                currencies_spending[item.category] = currencies_spending.get(item.category, 0) + 1
    links: dict[tuple[str, str], list[CategoryLink]] = {}
    path = url_for(TRANSACTIONS_ENDPOINT)
    for currency in report:
        for item in currency.categories:
            accounts = sorted(item.by_account.items(), key=lambda pair: (-pair[1], account_labels.get(pair[0], "")))
            if accounts and filters.account_id is None and not filters.currency \
                    and currencies_spending[item.category] == 1:
                found = [CategoryLink(transactions_url(path, item.category, filters))]
            elif len(accounts) == 1:
                found = [CategoryLink(transactions_url(path, item.category, filters, accounts[0][0]))]
            else:
                found = [CategoryLink(transactions_url(path, item.category, filters, account),
                                      account_labels.get(account, ""), spent) for account, spent in accounts]
            links[(currency.currency, item.category)] = found
    return links


def income_expenses_page(context: ReportContext):
    form, filters = _filters(context)
    report = queries.income_and_expenses(db.session, context.scope, filters.period,
                                         filters.account_id, filters.currency)
    if _wants_csv():
        return _download(export.income_expenses_table(report),
                         export.report_filename("income-and-expenses", filters.period))
    return _render("reports/income_expenses.html", context, form, filters, report=report,
                   charts=[charts.income_expenses_chart(c) for c in report],
                   **home_currency_report(context.scope, filters, "income_expenses"))


def categories_page(context: ReportContext):
    form, filters = _filters(context)
    report = queries.spending_by_category(db.session, context.scope, filters.period,
                                          filters.account_id, filters.currency)
    if _wants_csv():
        return _download(export.spending_table(report), export.report_filename("spending-by-category", filters.period))
    account_labels = {int(choice.value): choice.label for choice in form.account.choices if choice.value}
    return _render("reports/categories.html", context, form, filters, report=report,
                   previous=filters.period.previous(), links=category_links(report, filters, account_labels),
                   charts=[charts.spending_chart(c) for c in report],
                   **home_currency_report(context.scope, filters, "categories"))


def profit_and_loss_page(context: ReportContext):
    form, filters = _filters(context)
    ranges = profit_and_loss.nominal_ranges(current_app.config.get("PNL_RANGES"))
    report = profit_and_loss.profit_and_loss(db.session, context.scope, filters.period,
                                             filters.account_id, filters.currency, ranges)
    bookkeeping.label_codes(report, bookkeeping.chart(db.session, context.scope))
    expanded = request.args.getlist("expand")
    months = filters.period.months
    if _wants_csv():
        return _download(export.profit_and_loss_table(report, months, expanded),
                         export.report_filename("profit-and-loss", filters.period))
    previous = filters.period.previous()
    earlier = {c.currency: c for c in profit_and_loss.profit_and_loss(
        db.session, context.scope, previous, filters.account_id, filters.currency, ranges)}
    return _render("reports/profit_and_loss.html", context, form, filters, report=report, months=months,
                   previous=previous, earlier=earlier, comparison=profit_and_loss.comparison, expanded=expanded, ranges=ranges, first_code=profit_and_loss.FIRST_PROFIT_AND_LOSS_CODE,
                   charts=[charts.profit_and_loss_chart(c, months) for c in report])


def code_transactions_page(context: ReportContext, code: str):
    _form, filters = _filters(context)
    currency = request.args.get("currency", "")
    # A three-letter code or nothing reaches the database: PostgreSQL refuses a NUL with a 500.
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise BadRequest("Choose a currency: a nominal code's transactions are listed one currency at a time.")
    found = profit_and_loss.code_transactions(db.session, context.scope, filters.period, filters.account_id,
                                              currency=currency, code=code)
    if _wants_csv():
        return _download(export.code_transactions_table(found), export.code_filename(code, filters.period))
    csv_url = url_for(request.endpoint, **request.view_args, **{**filters.query_args(), "currency": currency},
                      format="csv")
    label = bookkeeping.describe(bookkeeping.chart(db.session, context.scope), code).label
    return render_template("reports/code_transactions.html", report_context=context, filters=filters, code=label,
                           currency=currency, found=found, csv_url=csv_url)


def balances_page(context: ReportContext):
    form, filters = _filters(context, BalancesFilterForm)
    try:
        report = balances.balances_over_time(db.session, context.scope, filters.period,
                                             filters.account_id, filters.currency, filters.step)
    except ValueError as error:
        filters.errors.append(str(error))
        filters.step = balances.MONTHLY
        form.step.data = balances.MONTHLY
        report = balances.balances_over_time(db.session, context.scope, filters.period,
                                             filters.account_id, filters.currency, filters.step)
    if _wants_csv():
        return _download(export.balances_table(report), export.report_filename("balances", filters.period))
    return _render("reports/balances.html", context, form, filters, report=report,
                   charts=charts.balances_charts(report),
                   **home_currency_report(context.scope, filters, "balances", report))


def _as_of(name: str, default: date | None) -> tuple[date | None, str | None]:
    """A ``YYYY-MM-DD`` query argument, or the default with the reason it was not taken."""
    text = request.args.get(name)
    if not text:
        return default, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return default, f"{text!r} is not a date (YYYY-MM-DD)."


def _year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29) else day.day)


def trial_balance_page(context: ReportContext):
    as_of, error = _as_of("as_of", date.today())
    report = bookkeeping.trial_balance(db.session, context.scope, as_of)
    if _wants_csv():
        return _download(export.trial_balance_table(report), f"trial-balance-{as_of.isoformat()}.csv")
    return render_template("reports/trial_balance.html", report_context=context, report=report, as_of=as_of,
                           errors=[error] if error else [], drill=bookkeeping.postings_period(as_of),
                           csv_url=url_for(request.endpoint, as_of=as_of.isoformat(), format="csv"))


def balance_sheet_page(context: ReportContext):
    as_of, error = _as_of("as_of", date.today())
    compare, compare_error = _as_of("compare", _year_before(as_of))
    report = bookkeeping.balance_sheet(db.session, context.scope, as_of, compare)
    if _wants_csv():
        return _download(export.balance_sheet_table(report, previous=True),
                         f"balance-sheet-{as_of.isoformat()}.csv")
    return render_template("reports/balance_sheet.html", report_context=context, report=report, as_of=as_of,
                           compare=compare, errors=[e for e in (error, compare_error) if e],
                           csv_url=url_for(request.endpoint, as_of=as_of.isoformat(), compare=compare.isoformat(),
                                           format="csv"))


def nominal_codes_page(context: ReportContext, actor: Actor):
    """The signed-in user's chart of accounts, with a form that names (or adds) one code."""
    owner_id = context.scope.owner_id
    form = NominalCodeForm()
    if form.validate_on_submit():
        try:
            code = nominal_codes.checked_code(form.code.data, form.name.data, form.kind.data)
        except ValueError as error:
            form.kind.errors = [*form.kind.errors, str(error)]
        else:
            nominal_codes.store_codes(db.session, actor, owner_id, [code])
            db.session.commit()
            flash(f"Saved {code[0]} {code[1]}.", "success")
            return redirect(url_for(request.endpoint))
    codes = nominal_codes.owner_chart(db.session, owner_id)
    if _wants_csv():
        return _download(nominal_codes.chart_table(codes), "nominal-codes.csv")
    return render_template("reports/nominal_codes.html", report_context=context, form=form, codes=codes,
                           csv_url=url_for(request.endpoint, format="csv"))
