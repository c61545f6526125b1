"""Checking the audit log's hash chain from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from dashboard.audit import verify_chain
from dashboard.extensions import db

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def audit_verify_command():
    """Exit 0 with the number of events when the chain is intact; non-zero naming the first break."""
    check = verify_chain(db.session)
    if not check.intact:
        raise click.ClickException(f"audit chain broken: {check.problem}")
    click.echo(f"audit chain intact: {check.events} events" + (f", last hash {check.last_hash}" if check.last_hash else ""))


COMMANDS = (audit_cli,)
