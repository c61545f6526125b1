"""A user's categorisation rules as JSON (the format in DESIGN.md and README.md), and running them on stored rows."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.cli import parameters
from dashboard.extensions import db
from dashboard.rules.application import apply_preview, apply_rules
from dashboard.rules.definitions import RuleError
from dashboard.rules.services import export_rules, import_rules

rules_cli = AppGroup("rules", help="Categorisation rules: import, export and apply.")
USER_HELP = "Email of the user whose rules they are."


@rules_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "email", required=True, help=USER_HELP)
def import_command(file: Path, email: str):
    """Add the rules of a JSON file after the user's existing rules; a bad rule is refused, writing nothing."""
    user = parameters.user_or_fail(email)
    try:
        count = import_rules(db.session, Scope.of_user(user.id), Actor.system(), file.read_bytes())
    except RuleError as error:
        db.session.rollback()
        raise click.ClickException(f"{file.name}: {error}") from None
    db.session.commit()
    click.echo(f"imported {count} rule{'s' if count != 1 else ''}")


@rules_cli.command("export")
@click.option("--user", "email", required=True, help=USER_HELP)
def export_command(email: str):
    """The user's rules, in their order, as JSON on standard output."""
    user = parameters.user_or_fail(email)
    click.echo(export_rules(db.session, Scope.of_user(user.id)), nl=False)


@rules_cli.command("apply")
@click.option("--user", "email", required=True, help=USER_HELP)
@click.option("--account", "account_name", default=None, help="Only this account of the user's.")
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
def apply_command(email: str, account_name: str | None, dry_run: bool):
    """Run the user's rules over their stored transactions; prints `matched N, changed M`."""
    user = parameters.user_or_fail(email)
    account = parameters.one_account(user, account_name) if account_name else None
    scope = Scope.of_user(user.id)
    account_id = account.id if account is not None else None
    if dry_run:
        result = apply_preview(db.session, scope, account_id)
        for change in result.changes:
            what = "; ".join(f"{name} {before or '(none)'!s} -> {after}" for name, (before, after) in
                             change.changes.items())
            click.echo(f"{change.transaction_id},{change.date.isoformat()},{change.description}: {what}")
        click.echo(f"matched {result.matched}, changed {result.changed} (dry run: nothing was changed)")
    else:
        result = apply_rules(db.session, scope, Actor.system(), account_id)
        db.session.commit()
        click.echo(f"matched {result.matched}, changed {result.changed}")
    if result.split_kept:
        click.echo(f"split transactions that keep their parts' categories: {result.split_kept}")


COMMANDS = (rules_cli,)
