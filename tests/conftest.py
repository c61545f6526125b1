"""Shared fixtures. Every test that touches the database runs on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest
from flask.testing import FlaskCliRunner, FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, text

from config import TestingConfig
from dashboard import create_app
from dashboard.extensions import db as _db
from dashboard.models import Base
from dashboard.models.users import Role
from tests import factories
from tests.postgres_server import postgres_url as throwaway_postgres

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
ENGINES = ("sqlite", "postgresql")
TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


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
def committed():
    """Opt in, by naming this fixture, to data that is really committed, and tables emptied afterwards.

    For tests whose data must be seen from another connection: a live server in a thread, concurrent sessions,
    another process. Every other test runs inside a transaction that is rolled back (see :func:`app`).
    """


@pytest.fixture
def app(request, database_url, app_config, monkeypatch):
    """The app, with ``db.session`` inside one outer transaction that is rolled back when the test ends.

    As warehouse's tests do: the session joins that transaction with ``join_transaction_mode="create_savepoint"``,
    so the app's own commits and rollbacks act on savepoints. Tests that name ``committed`` commit for real.
    """
    app = create_app(_testing_config(database_url, **app_config))
    app.test_client_class, app.test_cli_runner_class = _CommittingClient, _CommittingRunner
    with app.app_context():
        if "committed" in request.fixturenames:
            yield app
            _db.session.remove()
            _empty_tables()
        else:
            with _rolled_back(_db.engine, monkeypatch):
                yield app
        _db.engine.dispose()


class _CommittingClient(FlaskClient):
    """Commits what the test prepared before each request, as data a real browser sees is committed.

    The factories only flush, and the test shares ``db.session`` with the app: without this, a view's rollback
    (an error page, a preview that only reads) would undo the test's own data.
    """

    def open(self, *args, **kwargs):
        _db.session.commit()
        return super().open(*args, **kwargs)


class _CommittingRunner(FlaskCliRunner):
    """Commits what the test prepared before each command, for the same reason as :class:`_CommittingClient`."""

    def invoke(self, *args, **kwargs):
        _db.session.commit()
        return super().invoke(*args, **kwargs)


class _ConnectionSession(FlaskSession):
    """Flask-SQLAlchemy's session picks the engine itself; this one uses the connection it is bound to."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind or self.bind


@contextmanager
def _rolled_back(engine, monkeypatch):
    if engine.dialect.name == "sqlite":
        _begin_sqlite_transactions_explicitly(engine)
    connection = engine.connect()
    transaction = connection.begin()
    factory = _db.session.session_factory
    monkeypatch.setattr(factory, "class_", _ConnectionSession)
    monkeypatch.setitem(factory.kw, "bind", connection)
    monkeypatch.setitem(factory.kw, "join_transaction_mode", "create_savepoint")
    try:
        yield
    finally:
        _db.session.remove()
        transaction.rollback()
        connection.close()


def _begin_sqlite_transactions_explicitly(engine) -> None:
    """pysqlite begins a transaction only before a write, so the first SAVEPOINT would start (and its RELEASE
    commit) the outermost one; SQLAlchemy's recipe: the driver leaves transactions alone, SQLAlchemy emits BEGIN."""
    @event.listens_for(engine, "connect")
    def _driver_leaves_transactions_alone(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


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
    """``statements_of(action)``: how many SQL statements calling ``action`` issues, and what it returned.

    BEGIN and savepoints are not counted: the rolled-back test transaction adds them, a page does not. What the
    test prepared is committed first (the test client would commit it inside the count), so the statements of
    writing it, and its similarity vectors, are not counted as the action's.
    """
    def count(action):
        db.session.commit()
        seen = 0

        def listener(_connection, _cursor, statement, *_args):
            nonlocal seen
            if not statement.startswith(TRANSACTION_CONTROL):
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
    return factories.create_user(db.session, "admin@example.com", role=Role.ADMIN)


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
