"""User administration from the command line."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from dashboard.auth.services import create_user
from dashboard.extensions import db
from dashboard.models.users import Role

users_cli = AppGroup("users", help="Create and manage users.")


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


COMMANDS = (users_cli,)
