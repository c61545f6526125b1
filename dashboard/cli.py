"""The ``flask`` commands: database checks, users, demo data, totals."""
from __future__ import annotations

import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import click
from babel.numbers import list_currencies
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from dashboard.access import Scope
from dashboard.accounts.export import accounts_csv, export_rows, transaction_csv
from dashboard.accounts.queries import account_summaries
from dashboard.accounts.transaction_queries import TransactionFilter
from dashboard.audit import Actor
from dashboard.auth.services import create_user, find_user
from dashboard.database import database_problem, safe_url
from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from dashboard.extensions import db
from dashboard.importers import services
from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded
from dashboard.importers.detect import FORMATS
from dashboard.importers.records import ImportFileError
from dashboard.ledger import rebuild_totals, verify_totals
from dashboard.models import Account, User
from dashboard.models.users import Role

users_cli = AppGroup("users", help="Create and manage users.")
demo_cli = AppGroup("demo", help="Demo data for trying the dashboard.")
totals_cli = AppGroup("totals", help="The monthly totals that reports read.")
accounts_cli = AppGroup("accounts", help="Accounts and their balances.")


@click.command("check-db")
def check_db_command():
    """Exit 0 when the database answers; non-zero with a one-line reason otherwise."""
    problem = database_problem()
    if problem:
        click.echo(f"database unavailable: {problem}", err=True)
        sys.exit(1)
    click.echo(f"database ok: {safe_url(current_app)}")


@users_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Give the user the admin role (the same as --role admin).")
@click.option("--role", type=click.Choice([role.value for role in Role]), help="The user's role; user when not given.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_user_command(email: str, admin: bool, role: str | None, password_stdin: bool):
    """Create a user; the password comes from a prompt or standard input."""
    if admin and role not in (None, Role.ADMIN):
        raise click.UsageError(f"--admin and --role {role} disagree; give one of them")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(db.session, email, password, Role.ADMIN if admin else Role(role or Role.USER))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"created {user.role} {user.email}")


@demo_cli.command("seed")
@click.option("--transactions", "count", default=3000, show_default=True, help="How many transactions to create.")
@click.option("--seed", "random_seed", default=2024, show_default=True, help="Random seed, for repeatable data.")
@click.option("--if-empty", is_flag=True, help="Seed only when the database has no users (used by `make run`).")
@click.option("--single-account", is_flag=True, help="Put every transaction in one account (for benchmarks).")
def demo_seed_command(count: int, random_seed: int, if_empty: bool, single_account: bool):
    """Create the demo login and realistic accounts with COUNT transactions (replacing the demo user's data)."""
    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo(f"the database has users already; not seeding. Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        return
    started = time.perf_counter()
    result = seed_demo(db.session, count, random_seed, single_account=single_account)
    db.session.commit()
    click.echo(f"seeded {result.transactions:,} transactions in {result.accounts} accounts "
               f"in {time.perf_counter() - started:.1f}s")
    click.echo(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")


@totals_cli.command("verify")
def totals_verify_command():
    """Recompute the monthly totals from the transactions and report any difference."""
    problems = verify_totals(db.session)
    for problem in problems[:50]:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} monthly totals differ from the transactions")
    click.echo("monthly totals agree with the transactions")


@totals_cli.command("rebuild")
def totals_rebuild_command():
    """Recompute every monthly total from the transactions."""
    rebuild_totals(db.session)
    db.session.commit()
    click.echo("monthly totals rebuilt")


PROGRESS_BAR_ROWS = 10_000
ACCOUNT_NAME_LENGTH = Account.name.type.length


def _account_name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > ACCOUNT_NAME_LENGTH:
        raise click.BadParameter(f"an account name has 1 to {ACCOUNT_NAME_LENGTH} characters")
    return name


def _currency_code(value: str) -> str:

    code = value.strip().upper()
    if code not in list_currencies():
        raise click.BadParameter(f"{value!r} is not an ISO 4217 currency code such as GBP, EUR or USD")
    return code


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "email", required=True, help="Email of the user who owns the account.")
@click.option("--account", "account_name", required=True,
              callback=lambda _ctx, _param, value: _account_name(value),
              help="The account to import into; created when the user has none of that name.")
@click.option("--format", "file_format", default="auto", show_default=True, type=click.Choice(["auto", *FORMATS]))
@click.option("--currency", "default_currency", default="USD", show_default=True, metavar="CODE",
              callback=lambda _ctx, _param, value: _currency_code(value),
              help="Currency of an account this import creates, when the file states none (a Sage export doesn't).")
@click.option("--mapping", "mapping_json", metavar="JSON",
              help='Column mapping for a CSV whose layout is ambiguous, columns counted from 0, e.g. '
                   '{"date_column": 0, "date_format": "DD/MM/YYYY", "description_columns": [1], "amount_column": 2}')
def import_command(file: Path, email: str, account_name: str, file_format: str, default_currency: str,
                   mapping_json: str | None):
    """Import a bank or accounting export; ends with `read N, inserted N, duplicates N`.

    A bad file is refused with its line number and nothing is written.
    """

    user = _user_or_fail(email)
    mapping = None
    if mapping_json:
        try:
            mapping = ColumnMapping.from_dict(json.loads(mapping_json))
        except (ValueError, TypeError) as error:
            raise click.BadParameter(str(error), param_hint="--mapping") from None
    data = file.read_bytes()
    try:
        with ExitStack() as bar_shown:
            batch = services.import_file(db.session, Scope.of_user(user.id), Actor.system(), data, file.name,
                                         account_name=account_name, file_format=file_format, mapping=mapping,
                                         default_currency=default_currency, progress=_progress_bar(bar_shown))
    except MappingNeeded as needed:
        columns = ", ".join(f"{number}={name}" for number, name in enumerate(needed.columns))
        raise click.ClickException(f"{file.name}: {needed.reason} Give --mapping (columns: {columns}).") from None
    except ImportFileError as error:
        where = f", line {error.line}" if error.line else ""
        raise click.ClickException(f"{file.name}{where}: {error.reason}; nothing was imported") from None
    click.echo(f"read {batch.rows_read}, inserted {batch.rows_inserted}, duplicates {batch.rows_duplicate}")


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
    scope = Scope.of_user(_user_or_fail(email).id)
    account_id = None
    if account_name is not None:
        account_id = db.session.scalar(select(Account.id).where(scope.accounts(), Account.name == account_name))
        if account_id is None:
            raise click.ClickException(f"{email} has no account named {account_name!r}")
    filters = TransactionFilter(account_id=account_id, descending=False)
    for chunk in transaction_csv(export_rows(db.session, scope, filters)):
        click.echo(chunk, nl=False)


@accounts_cli.command("list")
@click.option("--user", "email", required=True, help="Email of the user whose accounts to list.")
def accounts_list_command(email: str):
    """The user's accounts with balances and transaction counts, as CSV on standard output."""
    scope = Scope.of_user(_user_or_fail(email).id)
    for chunk in accounts_csv(account_summaries(db.session, scope)):
        click.echo(chunk, nl=False)


def _user_or_fail(email: str):

    user = find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"there is no user {email}")
    return user


def register_commands(app: Flask) -> None:
    app.cli.add_command(check_db_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(totals_cli)
    app.cli.add_command(export_command)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(import_command)
