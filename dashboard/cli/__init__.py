"""The ``flask`` commands, one module per group; each registers itself here."""
from flask import Flask

from dashboard.cli import accounts, database, demo, reconcile, users


def register_commands(app: Flask) -> None:
    for command in (*database.COMMANDS, *users.COMMANDS, *demo.COMMANDS, *accounts.COMMANDS, *reconcile.COMMANDS):
        app.cli.add_command(command)
