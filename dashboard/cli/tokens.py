"""API tokens from the command line: ``flask tokens create``."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from dashboard.api.tokens import create_token
from dashboard.audit import Actor
from dashboard.extensions import db
from dashboard.models import User
from dashboard.models.users import normalise_email

tokens_cli = AppGroup("tokens", help="Create API tokens.")


@tokens_cli.command("create")
@click.option("--user", "email", required=True, help="The email of the user the token acts for.")
@click.option("--name", required=True, help="What the token is for, as the settings page lists it.")
@click.option("--read-only", is_flag=True, help="The token may read but not change anything.")
@click.option("--expires-days", type=click.IntRange(min=1), help="Days until the token stops working.")
def create_token_command(email: str, name: str, read_only: bool, expires_days: int | None):
    """Print a new API token, alone, on standard output: it is never shown again."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"no user {email}")
    try:
        new = create_token(db.session, Actor.system(), user, name, read_only=read_only, expires_days=expires_days)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(new.secret)


COMMANDS = (tokens_cli,)
