"""The ``flask`` commands: database checks, users, demo data, totals."""
from __future__ import annotations

import sys
import time

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from dashboard.auth.services import UserExists, create_user
from dashboard.database import database_problem, safe_url
from dashboard.extensions import db

users_cli = AppGroup("users", help="Create and manage users.")
demo_cli = AppGroup("demo", help="Demo data for trying the dashboard.")
totals_cli = AppGroup("totals", help="The monthly totals that reports read.")


@click.command("check-db")
def check_db_command():
    """Exit 0 when the database answers; non-zero with a one-line reason otherwise."""
    from flask import current_app

    problem = database_problem()
    if problem:
        click.echo(f"database unavailable: {problem}", err=True)
        sys.exit(1)
    click.echo(f"database ok: {safe_url(current_app)}")


@users_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Give the user the admin role.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_user_command(email: str, admin: bool, password_stdin: bool):
    """Create a user; the password comes from a prompt or standard input."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 12:
        raise click.ClickException("the password must have at least 12 characters")
    try:
        user = create_user(db.session, email, password, admin=admin)
    except (UserExists, ValueError) as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"created {'admin' if user.is_admin else 'user'} {user.email}")


@demo_cli.command("seed")
@click.option("--transactions", "count", default=3000, show_default=True, help="How many transactions to create.")
@click.option("--seed", "random_seed", default=2024, show_default=True, help="Random seed, for repeatable data.")
@click.option("--if-empty", is_flag=True, help="Seed only when the database has no users (used by `make run`).")
def demo_seed_command(count: int, random_seed: int, if_empty: bool):
    """Create the demo login and realistic accounts with COUNT transactions (replacing the demo user's data)."""
    from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
    from dashboard.models import User

    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo(f"the database has users already; not seeding. Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        return
    started = time.perf_counter()
    result = seed_demo(db.session, count, random_seed)
    db.session.commit()
    click.echo(f"seeded {result.transactions:,} transactions in {result.accounts} accounts "
               f"in {time.perf_counter() - started:.1f}s")
    click.echo(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")


@totals_cli.command("verify")
def totals_verify_command():
    """Recompute the monthly totals from the transactions and report any difference."""
    from dashboard.ledger import verify_totals

    problems = verify_totals(db.session)
    for problem in problems[:50]:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} monthly totals differ from the transactions")
    click.echo("monthly totals agree with the transactions")


@totals_cli.command("rebuild")
def totals_rebuild_command():
    """Recompute every monthly total from the transactions."""
    from dashboard.ledger import rebuild_totals

    rebuild_totals(db.session)
    db.session.commit()
    click.echo("monthly totals rebuilt")


def register_commands(app: Flask) -> None:
    app.cli.add_command(check_db_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(totals_cli)
