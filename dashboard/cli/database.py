"""Database checks and the monthly totals that reports read."""
from __future__ import annotations

import sys

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import AppGroup

from dashboard.database import database_problem, safe_url
from dashboard.extensions import db
from dashboard.ledger import rebuild_totals, verify_totals

totals_cli = AppGroup("totals", help="The monthly totals that reports read.")


@click.command("check-db")
def check_db_command():
    """Exit 0 when the database answers and its schema is current; non-zero with a one-line reason otherwise."""
    problem = database_problem()
    if problem:
        click.echo(f"database unavailable: {problem}", err=True)
        sys.exit(1)
    problem = schema_problem()
    if problem:
        click.echo(f"database schema not current: {problem}", err=True)
        sys.exit(1)
    click.echo(f"database ok: {safe_url(current_app)}")


def schema_problem() -> str | None:
    """None when the database is at the newest migration; else what to run."""
    migrate = current_app.extensions["migrate"]
    migrations = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
    with db.engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    newest = set(migrations.get_heads())
    if not applied:
        return "no schema yet; run `flask --app wsgi db upgrade`"
    if applied != newest:
        return (f"at revision {', '.join(sorted(applied))}, the code needs {', '.join(sorted(newest))}; "
                "run `flask --app wsgi db upgrade`")
    return None


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


COMMANDS = (check_db_command, totals_cli)
