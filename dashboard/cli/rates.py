"""Exchange rates from the ECB (or a plain CSV), and net worth in one currency on a date."""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from dashboard import jobs
from dashboard.access import scope_for
from dashboard.audit import Actor
from dashboard.cli import parameters
from dashboard.extensions import db
from dashboard.formatting import plain_amount
from dashboard.importers.text import decode_text
from dashboard.rates.fetch import RatesFetchError
from dashboard.importers.records import ImportFileError
from dashboard.rates.files import read_rates_csv
from dashboard.rates.networth import net_worth
from dashboard.rates.services import store_published_rates

rates_cli = AppGroup("rates", help="Exchange rates: import a file or fetch the ECB's daily rates.")


@rates_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_rates(file: Path):
    """Read the ECB's eurofxref-hist.csv (or a date,base,quote,rate CSV); a bad line is refused, writing nothing."""
    try:
        text, _encoding = decode_text(file.read_bytes())
        rates = read_rates_csv(text)
    except ImportFileError as error:
        raise click.ClickException(str(error)) from None
    stored = store_published_rates(db.session, Actor.system(), rates, f"file:{file.name}")
    db.session.commit()
    click.echo(f"read {len(rates)} rates: {stored.summary()}")


@rates_cli.command("fetch")
@click.option("--url", help="Where the ECB's daily XML is (default: ECB_RATES_URL).")
@click.option("--enqueue", is_flag=True, help="Put the fetch on the job queue (needs REDIS_URL) instead.")
def fetch_rates(url: str | None, enqueue: bool):
    """Fetch the ECB's reference rates (eurofxref-daily.xml) and store them."""
    url = url or current_app.config["ECB_RATES_URL"]
    if enqueue:
        if jobs.queue() is None:
            raise click.ClickException("REDIS_URL is not set: run `rates fetch` without --enqueue")
        jobs.enqueue_rates_fetch(url)
        click.echo(f"queued a rates fetch from {url}")
        return
    try:
        stored, read = jobs.run_rates_fetch(url)
    except RatesFetchError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"read {read} rates from {url}: {stored.summary()}")


@click.command("networth")
@click.option("--user", "email", required=True, help="Email of the user.")
@click.option("--in", "currency", required=True, callback=parameters.currency_code, help="Currency, e.g. GBP.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date (default: today).")
def networth(email: str, currency: str, as_of):
    """CSV currency,balance,rate,converted per currency held (liabilities negative), then total,,,<sum>;
    exit 1 naming the pair when a rate is missing."""
    user = parameters.user_or_fail(email)
    day = as_of.date() if as_of else date.today()
    worth = net_worth(db.session, scope_for(user), currency, day, current_app.config["RATE_MAX_AGE_DAYS"])
    if worth.missing:
        raise click.ClickException("; ".join(str(missing) for missing in worth.missing))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["currency", "balance", "rate", "converted"])
    for holding in worth.holdings:
        writer.writerow([holding.currency, plain_amount(holding.balance), f"{holding.rate.value:f}",
                         plain_amount(holding.converted)])
    writer.writerow(["total", "", "", plain_amount(worth.total)])
    click.echo(out.getvalue(), nl=False)


COMMANDS = (rates_cli, networth)
