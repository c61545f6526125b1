"""The report pages, rendered for one user or for the whole organisation, as HTML or CSV.

``reports.routes`` serves them over the signed-in user's data and
``admin.routes`` over everyone's; both call these functions with a ``Scope``.
``?format=csv`` downloads what the table shows, from the same query results.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import Response, current_app, render_template, request, url_for
from werkzeug.exceptions import BadRequest

from dashboard.accounts.transaction_queries import UNCATEGORISED
from dashboard.extensions import db
from dashboard.formatting import plain_amount
from dashboard.reports import balances, charts, profit_and_loss, queries
from dashboard.reports.forms import ReportFilters, read_filters

TRANSACTIONS_ENDPOINT = "accounts.transactions"


@dataclass(frozen=True)
class Scope:
    """Whose data a page shows: one owner, or everyone (owner_id None) on the admin pages."""

    owner_id: int | None
    blueprint: str  # "reports" or "admin": where the page's own links point

    @property
    def organisation(self) -> bool:
        return self.owner_id is None

    def endpoint(self, name: str) -> str:
        return f"{self.blueprint}.{name}"


def _filters(scope: Scope, default_preset: str = "last_12_months"):
    accounts, currencies = queries.filter_choices(db.session, scope.owner_id)
    return read_filters(request.args, accounts, currencies, date.today(), default_preset)


def _wants_csv() -> bool:
    return request.args.get("format") == "csv"


def _csv_response(name: str, filters: ReportFilters, header: list[str], rows: list[list]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_csv_cell(cell) for cell in row] for row in rows)
    period = filters.period
    filename = f"{name}-{period.first:%Y-%m}-to-{period.last:%Y-%m}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _csv_cell(cell) -> str:
    """Amounts as plain decimals, as every CSV download writes them; text as it is."""
    if cell is None or isinstance(cell, Decimal):
        return plain_amount(cell)
    return str(cell)


def _render(template: str, scope: Scope, form, filters: ReportFilters, **context) -> str:
    return render_template(template, scope=scope, form=form, filters=filters,
                           csv_url=url_for(request.endpoint, **request.view_args, **filters.query_args(),
                                           **_extra_args(), format="csv"),
                           **context)


def _extra_args() -> dict:
    expanded = request.args.getlist("expand")
    return {"expand": expanded} if expanded else {}


def transactions_url(category: str, filters: ReportFilters, account_id: int | None = None) -> str:
    """The transactions view showing money out in one category ('' for none) over the period,
    in one account or (``account_id`` None) in all of them."""
    args = {"category": category or UNCATEGORISED, "date_from": filters.period.start_date.isoformat(),
            "date_to": filters.period.end_date.isoformat(), "amount_max": "0"}
    if account_id is not None:
        args["account"] = account_id
    return url_for(TRANSACTIONS_ENDPOINT, **args)


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
    for currency in report:
        for item in currency.categories:
            accounts = sorted(item.by_account.items(), key=lambda pair: (-pair[1], account_labels.get(pair[0], "")))
            if accounts and filters.account_id is None and not filters.currency \
                    and currencies_spending[item.category] == 1:
                found = [CategoryLink(transactions_url(item.category, filters))]
            elif len(accounts) == 1:
                found = [CategoryLink(transactions_url(item.category, filters, accounts[0][0]))]
            else:
                found = [CategoryLink(transactions_url(item.category, filters, account), account_labels.get(account, ""),
                                      spent) for account, spent in accounts]
            links[(currency.currency, item.category)] = found
    return links


def income_expenses_page(scope: Scope):
    form, filters = _filters(scope)
    report = queries.income_and_expenses(db.session, scope.owner_id, filters.period,
                                         filters.account_id, filters.currency)
    if _wants_csv():
        rows = []
        for currency in report:
            rows += [[currency.currency, f"{m.month:%Y-%m}", m.income, m.expenses, m.net, m.running_net]
                     for m in currency.months]
            rows.append([currency.currency, "Total", currency.income, currency.expenses, currency.net, None])
        return _csv_response("income-and-expenses", filters,
                             ["currency", "month", "income", "expenses", "net", "running_net"], rows)
    return _render("reports/income_expenses.html", scope, form, filters, report=report,
                   charts=[charts.income_expenses_chart(c) for c in report])


def categories_page(scope: Scope):
    form, filters = _filters(scope, default_preset="this_month")
    report = queries.spending_by_category(db.session, scope.owner_id, filters.period,
                                          filters.account_id, filters.currency)
    if _wants_csv():
        rows = []
        for currency in report:
            rows += [[currency.currency, c.category or "Uncategorised", c.spent, str(c.share), c.previous, c.change,
                      None if c.change_percent is None else str(c.change_percent)] for c in currency.categories]
            rows.append([currency.currency, "Total", currency.spent, None, currency.previous,
                         currency.spent - currency.previous, None])
        return _csv_response("spending-by-category", filters, [
            "currency", "category", "spent", "share_percent", "previous_period", "change", "change_percent"], rows)
    account_labels = {int(choice.value): choice.label for choice in form.account.choices if choice.value}
    return _render("reports/categories.html", scope, form, filters, report=report,
                   previous=filters.period.previous(), links=category_links(report, filters, account_labels),
                   charts=[charts.spending_chart(c) for c in report])


def profit_and_loss_page(scope: Scope):
    form, filters = _filters(scope, default_preset="year_to_date")
    ranges = profit_and_loss.nominal_ranges(current_app.config.get("PNL_RANGES"))
    report = profit_and_loss.profit_and_loss(db.session, scope.owner_id, filters.period, ranges,
                                             filters.account_id, filters.currency)
    expanded = request.args.getlist("expand")
    months = filters.period.months
    if _wants_csv():
        rows = []
        for currency in report:
            rows += [[currency.currency, row.label, row.code, *row.values, row.total]
                     for row in currency.rows(expanded)]
        return _csv_response("profit-and-loss", filters,
                             ["currency", "line", "nominal_code", *(f"{m:%Y-%m}" for m in months), "total"], rows)
    return _render("reports/profit_and_loss.html", scope, form, filters, report=report, months=months,
                   expanded=expanded, ranges=ranges,
                   charts=[charts.profit_and_loss_chart(c, months) for c in report])


def code_transactions_page(scope: Scope, code: str):
    _form, filters = _filters(scope, default_preset="year_to_date")
    currency = request.args.get("currency")
    if not currency:
        raise BadRequest("Choose a currency: a nominal code's transactions are listed one currency at a time.")
    found = profit_and_loss.code_transactions(db.session, scope.owner_id, code, currency, filters.period,
                                              filters.account_id)
    if _wants_csv():
        safe_code = "".join(c for c in code if c.isalnum())
        return _csv_response(f"nominal-code-{safe_code}", filters,
                             ["date", "description", "account", "type", "amount", "currency"],
                             [[t.date.isoformat(), t.description, t.account.name, t.category, t.amount, t.currency]
                              for t in found.transactions])
    csv_url = url_for(request.endpoint, **request.view_args, **{**filters.query_args(), "currency": currency},
                      format="csv")
    return render_template("reports/code_transactions.html", scope=scope, filters=filters, code=code,
                           currency=currency, found=found, csv_url=csv_url)


def balances_page(scope: Scope):
    form, filters = _filters(scope)
    try:
        report = balances.balances_over_time(db.session, scope.owner_id, filters.period, filters.step,
                                             filters.account_id, filters.currency)
    except ValueError as error:
        filters.errors.append(str(error))
        filters.step = balances.MONTHLY
        form.step.data = balances.MONTHLY
        report = balances.balances_over_time(db.session, scope.owner_id, filters.period, filters.step,
                                             filters.account_id, filters.currency)
    if _wants_csv():
        rows = []
        point_format = "%Y-%m" if report.step == balances.MONTHLY else "%Y-%m-%d"
        for currency in report.currencies:
            for index, point in enumerate(report.points):
                when = f"{point:{point_format}}"
                rows += [[currency.currency, when, a.name, a.balances[index]] for a in currency.accounts]
                rows.append([currency.currency, when, "Net worth", currency.net_worth[index]])
                rows.append([currency.currency, when, "Change", currency.changes[index]])
        return _csv_response("balances", filters, ["currency", report.step, "series", "amount"], rows)
    return _render("reports/balances.html", scope, form, filters, report=report,
                   charts=charts.balances_charts(report))
