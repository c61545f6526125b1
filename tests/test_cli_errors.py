"""An operator's mistake ends in one line and a non-zero exit, never a traceback: the real `flask` command."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

PROJECT = Path(__file__).resolve().parents[1]


def _flask(*args: str, database_url: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "APP_ENV"))}
    env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=PROJECT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


def _assert_one_line_failure(result: subprocess.CompletedProcess, reason: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output
    last = result.stderr.strip().splitlines()[-1]
    assert reason in last, output


@pytest.fixture(scope="module")
def empty_databases(tmp_path_factory, postgres_url):
    """A database of each engine that answers but has no schema: `db upgrade` was never run."""
    sqlite = f"sqlite:///{tmp_path_factory.mktemp('empty') / 'empty.db'}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS cli_empty"))
        connection.execute(text("CREATE DATABASE cli_empty"))
    admin.dispose()
    postgresql = make_url(postgres_url).set(database="cli_empty").render_as_string(hide_password=False)
    return {"sqlite": sqlite, "postgresql": postgresql}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A SQLite database with the schema and no users."""
    url = f"sqlite:///{tmp_path_factory.mktemp('migrated') / 'dashboard.db'}"
    result = _flask("db", "upgrade", database_url=url)
    assert result.returncode == 0, result.stderr
    return url


@pytest.mark.parametrize("url, reason", [
    ("nonsense://", "DATABASE_URL is not a database URL"),
    ("not a url at all", "DATABASE_URL is not a database URL"),
    ("postgresql://nobody@127.0.0.1:1/x", "database unavailable: connection to server"),
])
def test_check_db_with_a_garbage_database_url(url, reason):
    _assert_one_line_failure(_flask("check-db", database_url=url), reason)


def test_a_garbage_database_url_is_not_repeated_since_it_may_hold_a_password():
    result = _flask("check-db", database_url="nonsense://user:hunter2-password@db/x")
    _assert_one_line_failure(result, "DATABASE_URL is not a database URL")
    assert "hunter2-password" not in result.stdout + result.stderr


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("args", [
    ("check-db",),
    ("demo", "seed", "--transactions", "10"),
    ("accounts", "list", "--user", "demo@example.com"),
    ("totals", "verify"),
])
def test_commands_on_a_database_without_the_schema_say_to_run_db_upgrade(empty_databases, engine, args):
    _assert_one_line_failure(_flask(*args, database_url=empty_databases[engine]), "db upgrade")


@pytest.mark.parametrize("args", [("demo", "seed"), ("db", "upgrade")])
def test_a_dead_database_is_one_line(args):
    _assert_one_line_failure(_flask(*args, database_url="postgresql://nobody@127.0.0.1:1/x"), "database unavailable")


def test_each_command_is_wrapped_once_however_many_apps_are_built():
    from dashboard import create_app
    from dashboard.cli import demo

    for _ in range(3):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    callback = demo.demo_cli.commands["seed"].callback
    assert callback.one_line_errors and not getattr(callback.__wrapped__, "one_line_errors", False)


@pytest.mark.parametrize("args, reason", [
    (("demo", "seed", "--transactions", "-5"), "-5 is not in the range"),
    (("accounts", "list", "--user", "nobody@example.com"), "there is no user nobody@example.com"),
    (("export", "--user", "nobody@example.com"), "there is no user nobody@example.com"),
    (("import", "/no/such/file.csv", "--user", "nobody@example.com", "--account", "Current"), "does not exist"),
    (("import", "/tmp", "--user", "nobody@example.com", "--account", "Current"), "is a directory"),
])
def test_operator_mistakes_are_one_line(migrated, args, reason):
    _assert_one_line_failure(_flask(*args, database_url=migrated), reason)


def test_an_unknown_account_is_one_line(migrated):
    seeded = _flask("demo", "seed", "--transactions", "20", database_url=migrated)
    assert seeded.returncode == 0, seeded.stderr
    _assert_one_line_failure(_flask("export", "--user", "demo@example.com", "--account", "Nowhere",
                                    database_url=migrated), "has no account named 'Nowhere'")


def test_check_db_on_a_current_schema_says_ok(migrated):
    result = _flask("check-db", database_url=migrated)
    assert result.returncode == 0 and result.stdout.startswith("database ok"), result.stderr
