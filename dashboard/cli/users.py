"""User administration from the command line; every change is audited as the system's (the operator at the
CLI has no user of their own)."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from dashboard.accounts.export import csv_lines
from dashboard.audit import Actor
from dashboard.auth import services, two_factor
from dashboard.cli.parameters import user_or_fail
from dashboard.extensions import db
from dashboard.models.users import Role

users_cli = AppGroup("users", help="Create and manage users.")
ROLES = click.Choice([role.value for role in Role])


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _change(change, email: str, *args):
    """Apply ``change(session, actor, user, *args)`` to the user with ``email`` and commit; its ValueError
    (the last admin, a short password) becomes a one-line error."""
    user = user_or_fail(email)
    try:
        change(db.session, Actor.system(), user, *args)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    return user


@users_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Give the user the admin role (the same as --role admin).")
@click.option("--role", type=ROLES, help="The user's role; user when not given.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_user_command(email: str, admin: bool, role: str | None, password_stdin: bool):
    """Create a user; the password comes from a prompt or standard input."""
    if admin and role not in (None, Role.ADMIN):
        raise click.UsageError(f"--admin and --role {role} disagree; give one of them")
    password = _password(password_stdin)
    try:
        user = services.add_user(db.session, Actor.system(), email, password,
                                 Role.ADMIN if admin else Role(role or Role.USER))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"created {user.role} {user.email}")


@users_cli.command("list")
def list_users_command():
    """Every user as CSV: email, role, status, last login, two-factor."""
    enrolled = two_factor.enrolled_user_ids(db.session)
    rows = ((user.email, user.role, "active" if user.active else "deactivated",
             user.last_login_at.isoformat(sep=" ", timespec="seconds") if user.last_login_at else "",
             "on" if user.id in enrolled else "off")
            for user in services.list_users(db.session))
    for text in csv_lines(("email", "role", "status", "last_login", "two_factor"), rows):
        click.echo(text, nl=False)


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_command(email: str):
    """The user can no longer log in; their sessions end."""
    click.echo(f"deactivated {_change(services.deactivate_user, email).email}")


@users_cli.command("activate")
@click.argument("email")
def activate_command(email: str):
    click.echo(f"activated {_change(services.activate_user, email).email}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLES)
def set_role_command(email: str, role: str):
    user = _change(services.set_role, email, Role(role))
    click.echo(f"{user.email} is now {user.role}")


@users_cli.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def reset_password_command(email: str, password_stdin: bool):
    """Set a temporary password that the user must change at their next login; their sessions end."""
    user_or_fail(email)
    password = _password(password_stdin)
    user = _change(services.reset_password, email, password)
    click.echo(f"password reset for {user.email}; they must change it at their next login")


@users_cli.command("reset-2fa")
@click.argument("email")
def reset_two_factor_command(email: str):
    """Turn off the user's two-factor sign-in (a lost phone); their sessions end and they enrol again."""
    user = _change(two_factor.reset_two_factor, email)
    click.echo(f"two-factor sign-in reset for {user.email}; their sessions have ended")


@users_cli.command("require-2fa")
@click.argument("state", type=click.Choice(["on", "off"]))
def require_two_factor_command(state: str):
    """Require two-factor sign-in of everyone (on: users without it enrol after their password) or not (off)."""
    required = state == "on"
    changed = two_factor.require_two_factor(db.session, Actor.system(), required)
    db.session.commit()
    now = "required of everyone" if required else "each user's choice"
    click.echo(f"two-factor sign-in is {'now' if changed else 'already'} {now}")


COMMANDS = (users_cli,)
