"""The chart of accounts of a user's nominal ledgers, as CSV ``code,name[,kind]``."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from dashboard.accounts.export import csv_lines
from dashboard.audit import Actor
from dashboard.cli import parameters
from dashboard.extensions import db
from dashboard.importers.records import ImportFileError
from dashboard.importers.text import decode_text
from dashboard.reports import nominal_codes

codes_cli = AppGroup("codes", help="Nominal codes (chart of accounts) for ledger accounts.")


@codes_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "email", required=True, help="Email of the user whose chart it is.")
def import_codes(file: Path, email: str):
    """Add or rename codes from CSV `code,name[,kind]`; a bad line is refused with its number, writing nothing."""
    user = parameters.user_or_fail(email)
    try:
        text, _encoding = decode_text(file.read_bytes())
        codes = nominal_codes.read_codes_csv(text)
    except ImportFileError as error:
        raise click.ClickException(str(error)) from None
    count = nominal_codes.store_codes(db.session, Actor.system(), user.id, codes)
    db.session.commit()
    click.echo(f"stored {count} codes")


@codes_cli.command("export")
@click.option("--user", "email", required=True, help="Email of the user whose chart it is.")
def export_codes(email: str):
    """The user's chart (the Sage 50 UK standard codes and their own) as CSV `code,name,kind`."""
    user = parameters.user_or_fail(email)
    header, rows = nominal_codes.chart_table(nominal_codes.owner_chart(db.session, user.id))
    for chunk in csv_lines(header, rows):
        click.echo(chunk, nl=False)


COMMANDS = (codes_cli,)
