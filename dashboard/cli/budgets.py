"""Budgets from the command line: ``budgets set`` and ``budgets show`` (CSV)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import click
from flask.cli import AppGroup

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.budgets.export import budget_csv
from dashboard.budgets.months import month_of, parse_month, start_day_of
from dashboard.budgets.services import BudgetError, budget_report, find_category, set_budget
from dashboard.cli import parameters
from dashboard.extensions import db

budgets_cli = AppGroup("budgets", help="Monthly budgets per category.")


def _month(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _amount(_ctx, _param, value: str) -> Decimal:
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not an amount such as 250 or 99.50") from None


@budgets_cli.command("set")
@click.option("--user", "email", required=True, help="Email of the user whose budget it is.")
@click.option("--category", "category_name", required=True, help='A category (or parent category) of the user, e.g. "Food".')
@click.option("--amount", required=True, callback=_amount, help="What may be spent in a month, e.g. 250.")
@click.option("--currency", required=True, callback=parameters.currency_code, metavar="CODE")
@click.option("--month", callback=_month, metavar="YYYY-MM", help="For this budget month only; default every month.")
@click.option("--rollover", is_flag=True, help="Carry what is left, or what was overspent, into the next month.")
def set_command(email: str, category_name: str, amount: Decimal, currency: str, month: date | None, rollover: bool):
    """Set (or replace) a monthly budget."""
    user = parameters.user_or_fail(email)
    scope = Scope.of_user(user.id)
    try:
        category = find_category(db.session, user.id, category_name)
        budget = set_budget(db.session, scope, Actor.system(), category, amount, currency, month,
                            rollover_unspent=rollover, rollover_overspent=rollover,
                            starts=month_of(date.today(), start_day_of(user.preferences)).label)
    except BudgetError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    when = f"in {month:%Y-%m}" if month else f"every month from {budget.starts:%Y-%m}"
    click.echo(f"budget {category.name}: {budget.amount} {budget.currency} {when}"
               + (", rolling over" if rollover else ""))


@budgets_cli.command("show")
@click.option("--user", "email", required=True)
@click.option("--month", callback=_month, metavar="YYYY-MM", help="A budget month; default the current one.")
def show_command(email: str, month: date | None):
    """The budget month as CSV: category,currency,budgeted,spent,remaining."""
    user = parameters.user_or_fail(email)
    start = start_day_of(user.preferences)
    label = month or month_of(date.today(), start).label
    for chunk in budget_csv(budget_report(db.session, Scope.of_user(user.id), start, label, date.today())):
        click.echo(chunk, nl=False)


COMMANDS = (budgets_cli,)
