"""Sharing accounts from the command line: `shares add|remove --owner EMAIL --account NAME --with EMAIL`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from dashboard.access import Scope
from dashboard.accounts.shares import ShareError, share_account, unshare_account
from dashboard.audit import Actor
from dashboard.cli.parameters import account_name, one_account, user_or_fail
from dashboard.extensions import db

shares_cli = AppGroup("shares", help="Share accounts with other users, read-only or read-write.")


def _share_options(command):
    command = click.option("--with", "with_email", required=True, help="Email of the user to share with.")(command)
    command = click.option("--account", "name", required=True, callback=account_name,
                           help="The owner's account, by name.")(command)
    return click.option("--owner", "owner_email", required=True, help="Email of the account's owner.")(command)


@shares_cli.command("add")
@_share_options
@click.option("--write", is_flag=True, help="Let them change its transactions too (read-only otherwise).")
def add_command(owner_email: str, name: str, with_email: str, write: bool):
    """Share one account; run again to change read-only to read-write or back."""
    owner = user_or_fail(owner_email)
    account = one_account(owner, name)
    try:
        share_account(db.session, Scope.of_user(owner.id), Actor.system(), account, with_email, can_write=write)
    except ShareError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"shared {account.name} of {owner.email} with {with_email.strip()} "
               f"({'read-write' if write else 'read-only'})")


@shares_cli.command("remove")
@_share_options
def remove_command(owner_email: str, name: str, with_email: str):
    """Stop sharing one account; it takes effect on the other user's next request."""
    owner = user_or_fail(owner_email)
    account = one_account(owner, name)
    if not unshare_account(db.session, Scope.of_user(owner.id), Actor.system(), account, with_email):
        raise click.ClickException(f"{account.name} of {owner.email} is not shared with {with_email.strip()}")
    db.session.commit()
    click.echo(f"stopped sharing {account.name} of {owner.email} with {with_email.strip()}")


COMMANDS = (shares_cli,)
