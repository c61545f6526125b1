"""Teller from the command line: enrol a token, sync (now or on the queue), and the job worker."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from dashboard import jobs
from dashboard.access import Scope
from dashboard.audit import Actor
from dashboard.cli import parameters
from dashboard.extensions import db
from dashboard.models.teller import EnrollmentStatus, TellerEnrollment
from dashboard.teller.client import TellerClient, settings_from_config
from dashboard.teller.enrollments import EnrollmentRefused, enroll

teller_cli = AppGroup("teller", help="Bank sync through Teller.")


@teller_cli.command("enroll")
@click.option("--user", "email", required=True, help="Email of the user the bank connection belongs to.")
def enroll_command(email: str):
    """Read a Teller access token from standard input, check it against the API, store it encrypted."""
    user = parameters.user_or_fail(email)
    token = sys.stdin.readline().strip()
    settings = settings_from_config(current_app.config)
    try:
        enrollment = enroll(db.session, Scope.of_user(user.id), Actor.system(), token,
                            lambda value: TellerClient(value, settings))
    except EnrollmentRefused as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"enrolled {enrollment.institution or enrollment.enrollment_id} for {user.email} "
               f"(connection {enrollment.id})")


@teller_cli.command("sync")
@click.option("--user", "email", help="Only this user's connections.")
@click.option("--enqueue", is_flag=True, help="Put one job per connection on the queue (REDIS_URL) instead.")
def sync_command(email: str | None, enqueue: bool):
    """Sync every connected enrollment (or one user's) and print what changed per account; exit 1 if any failed."""
    query = select(TellerEnrollment.id, TellerEnrollment.institution, TellerEnrollment.enrollment_id).where(
        TellerEnrollment.status == EnrollmentStatus.CONNECTED).order_by(TellerEnrollment.id)
    if email:
        query = query.where(TellerEnrollment.owner_id == parameters.user_or_fail(email).id)
    enrollments = db.session.execute(query).all()
    db.session.commit()
    if enqueue:
        queue = jobs.queue()
        if queue is None:
            raise click.ClickException("--enqueue needs REDIS_URL: without it, run `teller sync` itself")
        queued = sum(jobs.queue_sync(queue, enrollment_id) for enrollment_id, *_ in enrollments)
        waiting = len(enrollments) - queued
        click.echo(f"queued {queued} sync job(s)" + (f"; {waiting} already waiting on the queue" if waiting else ""))
        return
    failed = 0
    for enrollment_id, institution, teller_id in enrollments:
        result = jobs.run_sync(enrollment_id)
        click.echo(f"{institution or teller_id} (connection {enrollment_id}):"
                   + (f" {result.summary()}" if result.error or result.busy_since else ""))
        for account in result.accounts:
            click.echo(f"  {account.line()}")
        failed += result.failed
    if not enrollments:
        click.echo("no connected enrollments")
    if failed:
        click.echo(f"{failed} of {len(enrollments)} enrollment(s) failed", err=True)
        sys.exit(1)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool):
    """Run a background-job worker on the REDIS_URL queue (several, on several hosts, are safe)."""
    try:
        jobs.work(burst=burst)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None


COMMANDS = (teller_cli, worker_command)
