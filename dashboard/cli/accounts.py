"""Accounts and their transactions: import a file, export as CSV, list with balances."""
from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path

import click
from flask.cli import AppGroup

from dashboard.access import Scope, scope_for
from dashboard.accounts.export import accounts_csv, export_rows, transaction_csv
from dashboard.accounts.queries import account_summaries
from dashboard.accounts.transaction_queries import TransactionFilter
from dashboard.audit import Actor
from dashboard.cli import parameters
from dashboard.extensions import db
from dashboard.importers import services
from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded
from dashboard.importers.csv_conventions import DATE_ORDERS
from dashboard.importers.detect import FORMATS
from dashboard.importers.records import ImportFileError

accounts_cli = AppGroup("accounts", help="Accounts and their balances.")

PROGRESS_BAR_ROWS = 10_000


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "email", required=True, help="Email of the user who owns the account.")
@click.option("--account", "account_name", required=True, callback=parameters.account_name,
              help="The account to import into; created when the user has none of that name.")
@click.option("--format", "file_format", default="auto", show_default=True, type=click.Choice(["auto", *FORMATS]))
@click.option("--currency", "default_currency", default="USD", show_default=True, metavar="CODE",
              callback=parameters.currency_code, help="Currency of an account this import creates, when the file states none (a Sage export doesn't).")
@click.option("--mapping", "mapping_json", metavar="JSON",
              help='Column mapping for a CSV whose layout is ambiguous, columns counted from 0, e.g. '
                   '{"date_column": 0, "date_format": "DD/MM/YYYY", "description_columns": [1], "amount_column": 2}')
@click.option("--date-order", type=click.Choice(DATE_ORDERS),
              help="Read dates that could be either way (every day 12 or less) as day-month-year or month-day-year; "
                   "default: the account's last CSV import, else the user's preference or locale, "
                   "else the account's currency (US dollars month first, any other day first).")
def import_command(file: Path, email: str, account_name: str, file_format: str, default_currency: str,
                   mapping_json: str | None, date_order: str | None):
    """Import a bank or accounting export; ends with `read N, inserted N, duplicates N`.

    A bad file is refused with its line number and nothing is written.
    """
    user = parameters.user_or_fail(email)
    existing = parameters.one_account(user, account_name, required=False)
    if existing is not None:
        account_name = existing.name
    mapping = None
    if mapping_json:
        try:
            mapping = ColumnMapping.from_dict(json.loads(mapping_json))
        except (ValueError, TypeError) as error:
            raise click.BadParameter(str(error), param_hint="--mapping") from None
    try:
        with ExitStack() as bar_shown, file.open("rb") as data:  # the open file: a large CSV streams
            batch = services.import_file(db.session, Scope.of_user(user.id), Actor.system(), data, file.name,
                                         account_name=account_name, file_format=file_format, mapping=mapping,
                                         default_currency=default_currency, progress=_progress_bar(bar_shown),
                                         date_order=date_order, preferred_date_order=services.preferred_date_order(user))
    except MappingNeeded as needed:
        columns = ", ".join(f"{number}={name}" for number, name in enumerate(needed.columns))
        raise click.ClickException(f"{file.name}: {needed.reason} Give --mapping (columns: {columns}).") from None
    except ImportFileError as error:
        where = f", line {error.line}" if error.line else ""
        raise click.ClickException(f"{file.name}{where}: {error.reason}; nothing was imported") from None
    skipped = batch.rows_read - batch.rows_inserted - batch.rows_duplicate
    click.echo(f"read {batch.rows_read}, inserted {batch.rows_inserted}, duplicates {batch.rows_duplicate}"
               + (f", skipped by rules {skipped}" if skipped else ""))


def _progress_bar(stack: ExitStack):
    """A progress callback that shows a bar on standard error, once the file is read and large enough."""
    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = stack.enter_context(click.progressbar(length=total, label="importing", file=sys.stderr,
                                                        hidden=total < PROGRESS_BAR_ROWS))
        bar.update(done - bar.pos)

    return update


@click.command("export")
@click.option("--user", "email", required=True, help="Email of the user whose transactions to write.")
@click.option("--account", "account_name", help="Only this account (by name).")
def export_command(email: str, account_name: str | None):
    """Write the user's transactions as CSV to standard output, oldest first: the account page's download."""
    scope = scope_for(parameters.user_or_fail(email))
    account_id = None
    if account_name is not None:
        account_id = parameters.one_account(parameters.user_or_fail(email), account_name).id
    filters = TransactionFilter(account_id=account_id, descending=False)
    for chunk in transaction_csv(export_rows(db.session, scope, filters)):
        click.echo(chunk, nl=False)


@accounts_cli.command("list")
@click.option("--user", "email", required=True, help="Email of the user whose accounts to list.")
def accounts_list_command(email: str):
    """The user's accounts with balances and transaction counts, as CSV on standard output."""
    scope = scope_for(parameters.user_or_fail(email))
    for chunk in accounts_csv(account_summaries(db.session, scope)):
        click.echo(chunk, nl=False)


COMMANDS = (import_command, export_command, accounts_cli)
