"""Shared fixtures. Every test that touches the database runs on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import event, text

from config import TestingConfig
from dashboard import create_app
from dashboard.extensions import db as _db
from dashboard.models import Base
from tests import factories
from tests.postgres_server import postgres_url as throwaway_postgres

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
ENGINES = ("sqlite", "postgresql")


def _shared_fixtures(name: str) -> Path:
    """A folder of ../shared/fixtures (CI always has it); never copied into the project."""
    folder = SHARED_FIXTURES / name
    if not folder.is_dir():
        pytest.fail(f"shared fixtures not found at {folder}")
    return folder


@pytest.fixture(scope="session")
def bank_exports() -> Path:
    """The real bank export files, with their sources in SOURCES.md."""
    return _shared_fixtures("bank-exports")


@pytest.fixture(scope="session")
def sage_exports() -> Path:
    return _shared_fixtures("sage")


@pytest.fixture(scope="session")
def postgres_url():
    """TEST_POSTGRES_URL when given; otherwise a throwaway server. Never skipped: no server is a failure."""
    with throwaway_postgres(os.environ.get("TEST_POSTGRES_URL")) as url:
        yield url


@pytest.fixture(scope="session", params=ENGINES)
def database_url(request, tmp_path_factory):
    """The schema is built once per engine by the migrations themselves, so every run tests them."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    app = create_app(_testing_config(url))
    with app.app_context():
        flask_migrate.upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        _db.engine.dispose()
    return url


def _testing_config(url: str, **overrides) -> TestingConfig:
    config = TestingConfig(url)
    for name, value in overrides.items():
        setattr(config, name, value)
    return config


@pytest.fixture
def app_config():
    """Overrides for one test's app, e.g. ``app_config["WTF_CSRF_ENABLED"] = True``."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    app = create_app(_testing_config(database_url, **app_config))
    with app.app_context():
        yield app
        _db.session.remove()
        _empty_tables()
        _db.engine.dispose()


def _empty_tables() -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with _db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def statements_of(db):
    """``statements_of(action)``: how many SQL statements calling ``action`` issues, and what it returned."""
    def count(action):
        seen = 0

        def listener(*_args):
            nonlocal seen
            seen += 1

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            result = action()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return seen, result

    return count


@pytest.fixture
def user(db):
    return factories.create_user(db.session, "alice@example.com")


@pytest.fixture
def admin(db):
    return factories.create_user(db.session, "admin@example.com", admin=True)


@pytest.fixture
def auth_client(client, user):
    """A client signed in as ``user``."""
    factories.log_in(client, user.email)
    return client


def pytest_terminal_summary(terminalreporter):
    """Say how many database tests ran on each engine, so a run without PostgreSQL is visible."""
    passed = Counter()
    for report in terminalreporter.stats.get("passed", []):
        for engine in ENGINES:
            if f"[{engine}" in report.nodeid or f"-{engine}]" in report.nodeid or f"-{engine}-" in report.nodeid:
                passed[engine] += 1
    terminalreporter.write_line(
        f"database tests passed: {passed['sqlite']} on SQLite, {passed['postgresql']} on PostgreSQL"
    )
