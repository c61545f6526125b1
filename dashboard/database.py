"""Is the database there? Used by /readyz, ``flask check-db`` and start-up for serving."""
from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from dashboard.extensions import db


def database_problem() -> str | None:
    """None when the database answers a trivial query; else a one-line reason."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        return reason[0] if reason else type(error).__name__
    return None


def wait_for_database(app: Flask, seconds: float, interval: float = 1.0) -> str | None:
    """Retry until the database answers or ``seconds`` pass; None when connected, else the last reason."""
    deadline = time.monotonic() + seconds
    with app.app_context():
        try:
            while True:
                problem = database_problem()
                if problem is None or time.monotonic() >= deadline:
                    return problem
                time.sleep(interval)
        finally:
            # gunicorn's master checks before it forks: a pooled connection left here would be shared by every
            # worker, whose queries then read each other's results (seen under load as ResourceClosedError).
            db.engine.dispose()


def safe_url(app: Flask) -> str:
    """The database URL with its password hidden, for logs."""
    with app.app_context():
        return db.engine.url.render_as_string(hide_password=True)
