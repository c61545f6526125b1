"""Transaction vectors and category suggestions from the CLI: `similarity rebuild`, `categories suggest`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from dashboard.access import shares_of
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.cli import parameters
from dashboard.downloads import csv_lines
from dashboard.extensions import db
from dashboard.similarity.store import rebuild, similarity_status
from dashboard.similarity.suggestions import apply_suggestions, suggestions

similarity_cli = AppGroup("similarity", help="Transaction vectors for similar rows and category suggestions.")
categories_cli = AppGroup("categories", help="Categories: suggestions from the user's own history.")
SUGGESTION_HEADER = ("transaction_id", "description", "category", "score")


@similarity_cli.command("rebuild")
def rebuild_command():
    """Recompute every transaction's vector (with the kind in use)."""
    rows, vectors = rebuild(db.session)
    status = similarity_status(db.session)
    record_event(db.session, AuditAction.SIMILARITY_REBUILD, Actor.system(),
                 details={"transactions": rows, "vectors": vectors, **status})
    db.session.commit()
    click.echo(f"rebuilt the vectors of {rows} transactions: {vectors} distinct "
               f"({status['kind']}, searched with {status['search']})")


@categories_cli.command("suggest")
@click.option("--user", "email", required=True, help="Email of the user whose rows they are.")
@click.option("--account", "account_name", default=None, help="Only this account of the user's.")
@click.option("--apply", "apply", is_flag=True, help="Store the suggested categories.")
def suggest_command(email: str, account_name: str | None, apply: bool):
    """CSV transaction_id,description,category,score: a suggestion for each uncategorised row that gets one."""
    user = parameters.user_or_fail(email)
    account = parameters.one_account(user, account_name) if account_name else None
    scope = shares_of(db.session, user.id)
    found = suggestions(db.session, scope, account)
    for chunk in csv_lines(SUGGESTION_HEADER, [(s.transaction_id, s.description, s.category, f"{s.score:.3f}")
                                               for s in found]):
        click.echo(chunk, nl=False)
    if apply:
        changed = apply_suggestions(db.session, scope, Actor.system(), found)
        db.session.commit()
        click.echo(f"applied {changed}", err=True)


COMMANDS = (similarity_cli, categories_cli)
