"""The WSGI entry point: ``gunicorn 'wsgi:app'``, ``flask --app wsgi ...``, or ``python wsgi.py``."""
import os
import sys

from flask.cli import load_dotenv

from config import ConfigurationError
from dashboard import create_app

load_dotenv()  # .env and .flaskenv for local work, as the `flask` command reads them
try:
    app = create_app()
except ConfigurationError as error:
    sys.exit(f"refusing to start: {error}")


def check_database_or_exit() -> None:
    """Before serving: wait for the database, log one line when it answers, exit non-zero when it never does."""
    from dashboard.database import safe_url, wait_for_database

    problem = wait_for_database(app, app.config["DATABASE_WAIT_SECONDS"])
    if problem:
        sys.stderr.write(f"database unavailable after {app.config['DATABASE_WAIT_SECONDS']}s: {problem}\n")
        sys.exit(1)
    app.logger.info("connected to the database at %s", safe_url(app))


if __name__ == "__main__":
    check_database_or_exit()
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
