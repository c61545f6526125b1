"""Demo data for trying the dashboard."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from dashboard.auth.services import find_user
from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_TRANSACTIONS, seed_demo
from dashboard.extensions import db
from dashboard.models import User

demo_cli = AppGroup("demo", help="Demo data for trying the dashboard.")


@demo_cli.command("seed")
@click.option("--transactions", "count", default=DEMO_TRANSACTIONS, show_default=True, type=click.IntRange(min=0),
              help="How many transactions to create.")
@click.option("--seed", "random_seed", default=2024, show_default=True, help="Random seed, for repeatable data.")
@click.option("--if-empty", is_flag=True, help="Seed only when the database has no users (used by `make run`).")
@click.option("--single-account", is_flag=True, help="Put every transaction in one account (for benchmarks).")
def demo_seed_command(count: int, random_seed: int, if_empty: bool, single_account: bool):
    """Create the demo login and realistic accounts with COUNT transactions (replacing the demo user's data)."""
    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        demo = find_user(db.session, DEMO_EMAIL)
        if demo is not None and demo.active and demo.check_password(DEMO_PASSWORD):
            click.echo(f"the database has users already; not seeding. Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        else:
            click.echo(f"the database has users already; not seeding. {DEMO_EMAIL} no longer logs in with the demo "
                       "password (it was changed, or the user is gone): `make reset-demo` starts again.")
        return
    started = time.perf_counter()
    result = seed_demo(db.session, count, random_seed, single_account=single_account)
    db.session.commit()
    click.echo(f"seeded {result.transactions:,} transactions in {result.accounts} accounts "
               f"in {time.perf_counter() - started:.1f}s")
    click.echo(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")


COMMANDS = (demo_cli,)
