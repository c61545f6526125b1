"""``flask reconcile``: every stated balance against opening balance + posted rows up to its date, and each
row's stated running balance against the running sum."""
from __future__ import annotations

import click

from dashboard.access import Scope
from dashboard.accounts.export import csv_lines
from dashboard.balances import first_departures, first_difference, reconciliation
from dashboard.cli import parameters
from dashboard.extensions import db
from dashboard.formatting import plain_amount

RECONCILE_HEADER = ("account", "date", "stated", "computed", "difference")


@click.command("reconcile")
@click.option("--user", "email", required=True, help="Email of the user whose accounts to check.")
@click.option("--account", "account_name", help="Only this account (by name).")
def reconcile_command(email: str, account_name: str | None):
    """CSV account,date,stated,computed,difference, one row per stated balance; exit 1 on any difference.

    Where the balances disagree, standard error names the period in which the difference first arises and,
    where the source stated a running balance per row, the first row after which it departs.
    """
    user = parameters.user_or_fail(email)
    account_id = parameters.one_account(user, account_name).id if account_name else None
    scope = Scope.of_user(user.id)
    checks = reconciliation(db.session, scope, account_id)
    for chunk in csv_lines(RECONCILE_HEADER, (
            (c.account, c.date.isoformat(), plain_amount(c.stated), plain_amount(c.computed),
             plain_amount(c.difference)) for c in checks)):
        click.echo(chunk, nl=False)
    first = first_difference(checks)
    if first is not None:
        since = f"after {first.previous.isoformat()} " if first.previous else ""
        click.echo(f"{first.account}: a difference of {plain_amount(first.difference)} arises {since}"
                   f"up to {first.date.isoformat()}", err=True)
    departures = first_departures(db.session, scope, account_id)
    for row in departures:
        click.echo(f"{row.account}: the running balance first departs after the row of {row.date.isoformat()} "
                   f"{row.description!r} {plain_amount(row.amount)}: the source says {plain_amount(row.stated)}, "
                   f"the rows add up to {plain_amount(row.computed)}", err=True)
    if first is not None or departures:
        raise SystemExit(1)


COMMANDS = (reconcile_command,)
