"""The operator's commands: users, check-db, demo seed, totals."""
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD
from dashboard.models import Account, Transaction, User

PROJECT = Path(__file__).resolve().parents[1]
DEAD_DATABASE = "postgresql://nobody@127.0.0.1:1/none"


def test_users_create_reads_the_password_from_stdin(runner, db):
    result = runner.invoke(args=["users", "create", "Ops@Example.com", "--admin", "--password-stdin"],
                           input="a long enough password\nignored second line\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert user.email == "ops@example.com" and user.is_admin
    assert user.check_password("a long enough password")


def test_users_create_prompts_for_the_password(runner, db):
    result = runner.invoke(args=["users", "create", "user@example.com"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    assert not db.session.scalar(select(User)).is_admin


def test_users_create_refuses_a_duplicate_and_a_short_password(runner, db, user):
    duplicate = runner.invoke(args=["users", "create", "ALICE@example.com", "--password-stdin"],
                              input="a long enough password\n")
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    short = runner.invoke(args=["users", "create", "new@example.com", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "12 characters" in short.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("options, role", [(["--role", "viewer"], "viewer"), (["--role", "admin"], "admin"),
                                           (["--admin", "--role", "admin"], "admin"), ([], "user")])
def test_users_create_gives_the_role_asked_for(runner, db, options, role):
    result = runner.invoke(args=["users", "create", "book@example.com", *options, "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"created {role} book@example.com"
    assert db.session.scalar(select(User.role)) == role


@pytest.mark.parametrize("args, reason", [
    (["not-an-email", "--password-stdin"], "is not an email address"),
    (["new@example.com", "--role", "owner", "--password-stdin"], "'owner' is not one of"),
    (["new@example.com", "--admin", "--role", "viewer", "--password-stdin"], "disagree"),
])
def test_users_create_refuses_bad_input_with_one_line(runner, db, args, reason):
    result = runner.invoke(args=["users", "create", *args], input="a long enough password\n")
    assert result.exit_code != 0 and reason in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_check_db_says_ok(runner):
    result = runner.invoke(args=["check-db"])
    assert result.exit_code == 0
    assert result.output.startswith("database ok")


def _flask(*args, env=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=PROJECT,
                          capture_output=True, text=True, env=env, timeout=60, **kwargs)


def _env(**values):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "APP_ENV"))}
    env.update(values)
    return env


def test_check_db_fails_with_one_line_when_the_database_is_dead():
    result = _flask("check-db", env=_env(DATABASE_URL=DEAD_DATABASE))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("database unavailable:")


def test_serving_start_up_exits_with_a_reason_when_the_database_never_answers():
    code = "import wsgi; wsgi.check_database_or_exit()"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=60,
                            env=_env(DATABASE_URL=DEAD_DATABASE, DATABASE_WAIT_SECONDS="2"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("database unavailable after 2s:")


def test_serving_start_up_logs_one_line_when_connected(tmp_path):
    code = "import wsgi; wsgi.check_database_or_exit()"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=60,
                            env=_env(DATABASE_URL=f"sqlite:///{tmp_path / 'up.db'}"))
    assert result.returncode == 0
    assert "connected to the database at sqlite:///" in result.stderr


def test_demo_seed_creates_the_demo_admin_with_accounts_and_transactions(runner, db):
    result = runner.invoke(args=["demo", "seed", "--transactions", "1500"])
    assert result.exit_code == 0, result.output
    assert f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}" in result.output
    demo = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    assert demo.is_admin and demo.check_password(DEMO_PASSWORD)
    accounts = db.session.scalars(select(Account).where(Account.owner_id == demo.id)).all()
    assert len(accounts) == 5
    assert {a.currency for a in accounts} == {"GBP", "EUR"}
    assert all(a.ledger_balance is not None and a.balance_as_of for a in accounts)
    assert db.session.scalar(select(func.count()).select_from(Transaction)) == 1500
    first, last = db.session.execute(select(func.min(Transaction.date), func.max(Transaction.date))).one()
    assert (last - first).days >= 365
    categories = set(db.session.scalars(select(Transaction.category).distinct()))
    assert {"Salary", "Rent", "Groceries", "Subscriptions", "Transfers", "Sales"} <= categories
    assert db.session.scalar(select(func.count()).where(Transaction.amount > 0, Transaction.category == "Shopping"))
    assert db.session.scalar(select(func.count()).where(Transaction.nominal_code.is_not(None)))
    assert runner.invoke(args=["totals", "verify"]).exit_code == 0


def test_demo_seed_balances_are_the_sum_of_the_transactions(runner, db):
    runner.invoke(args=["demo", "seed", "--transactions", "800"])
    savings = db.session.scalar(select(Account).where(Account.type == "savings"))
    moved = db.session.scalar(select(func.sum(Transaction.amount)).where(Transaction.account_id == savings.id))
    assert savings.ledger_balance == 8000 + moved


def test_demo_seed_again_replaces_the_demo_data(runner, db):
    runner.invoke(args=["demo", "seed", "--transactions", "500"])
    runner.invoke(args=["demo", "seed", "--transactions", "700"])
    assert db.session.scalar(select(func.count()).select_from(Transaction)) == 700
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_demo_seed_if_empty_leaves_an_existing_installation_alone(runner, db, user):
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0
    assert "not seeding" in result.output and DEMO_EMAIL in result.output
    assert db.session.scalar(select(func.count()).select_from(Transaction)) == 0


def test_gunicorn_refuses_to_serve_when_the_database_never_answers():
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run([str(gunicorn), "wsgi:app", "--bind", "127.0.0.1:0"], cwd=PROJECT, capture_output=True,
                            text=True, timeout=60, env=_env(DATABASE_URL=DEAD_DATABASE, DATABASE_WAIT_SECONDS="1"))
    assert result.returncode != 0
    assert "database unavailable after 1s:" in result.stderr


def test_production_without_secrets_stops_every_entry_point_with_one_line():
    env = _env(APP_ENV="production", DATABASE_URL=DEAD_DATABASE)
    env.pop("SECRET_KEY", None)
    env.pop("ENCRYPTION_KEY", None)
    result = _flask("check-db", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "refusing to start: APP_ENV=production refuses to start without a real SECRET_KEY (at least 32 characters)"
        " and ENCRYPTION_KEY; set them in the environment or as NAME_FILE"]


def test_an_unknown_similarity_kind_stops_with_one_line():
    result = _flask("check-db", env=_env(SIMILARITY_KIND="bert", DATABASE_URL=DEAD_DATABASE))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "refusing to start: SIMILARITY_KIND must be hashing or wordllama, not 'bert'"]


def test_the_start_up_check_leaves_no_pooled_connection_for_forked_workers_to_share(app):
    """gunicorn's master runs the check before it forks; an inherited connection is shared by every worker."""
    from dashboard.database import wait_for_database
    from dashboard.extensions import db

    with app.app_context():
        db.engine.dispose()
    assert wait_for_database(app, 0) is None
    with app.app_context():
        assert db.engine.pool.checkedin() == 0
