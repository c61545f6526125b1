"""The ``flask`` commands, one module per group; each registers itself here.

Every command is wrapped so that an operator's mistake the database reports (no schema yet, a database that
does not answer) ends in one line and a non-zero exit, never a traceback: one handler here instead of a
try/except in each command.
"""
from __future__ import annotations

import functools

import click
from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from dashboard.cli import (
    accounts, audit, budgets, codes, database, demo, keys, rates, reconcile, rules, shares, similarity, teller, tokens,
    users,
)
from dashboard.database import database_problem

NO_SCHEMA = "the database has no schema yet: run `flask --app wsgi db upgrade` first"
UNDEFINED_TABLE = "42P01"  # PostgreSQL's SQLSTATE; SQLite says "no such table"


def register_commands(app: Flask) -> None:
    for command in (*database.COMMANDS, *users.COMMANDS, *demo.COMMANDS, *accounts.COMMANDS, *keys.COMMANDS,
                    *audit.COMMANDS, *teller.COMMANDS, *tokens.COMMANDS, *codes.COMMANDS,
                    *reconcile.COMMANDS, *rules.COMMANDS, *rates.COMMANDS, *budgets.COMMANDS, *shares.COMMANDS,
                    *similarity.COMMANDS):
        app.cli.add_command(_with_one_line_errors(command))
    if "db" in app.cli.commands:  # Flask-Migrate's group: `db upgrade` on a dead database is one line too
        _with_one_line_errors(app.cli.commands["db"])


def _with_one_line_errors(command: click.Command) -> click.Command:
    """Wrap the command (and every subcommand of a group) so database errors become one-line ClickExceptions."""
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _with_one_line_errors(subcommand)
    if command.callback is not None and not getattr(command.callback, "one_line_errors", False):
        command.callback = _one_line_errors(command.callback)
    return command


def _one_line_errors(callback):
    """The commands are module-level objects that every app registers: each is wrapped once, not once per app."""
    @functools.wraps(callback)
    def run(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except SQLAlchemyError as error:
            raise click.ClickException(database_error_reason(error)) from None

    run.one_line_errors = True
    return run


def database_error_reason(error: SQLAlchemyError) -> str:
    """One line for the operator: run the migrations, or why the database did not answer (never the SQL)."""
    driver_message = str(getattr(error, "orig", None) or error)
    if isinstance(error, (OperationalError, ProgrammingError)) and (
            getattr(error.orig, "pgcode", None) == UNDEFINED_TABLE or "no such table" in driver_message):
        return NO_SCHEMA
    if isinstance(error, OperationalError):
        return f"database unavailable: {database_problem() or _first_line(driver_message)}"
    return f"the database refused the command: {_first_line(driver_message)}"


def _first_line(message: str) -> str:
    lines = message.strip().splitlines()
    return lines[0] if lines else "no reason given"
