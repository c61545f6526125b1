"""The migrations build the same schema as the models, up and down, on both engines."""
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

import config as settings
from dashboard import create_app
from dashboard.extensions import db
from dashboard.models import Base

MIGRATIONS = str(Path(__file__).resolve().parents[1] / "migrations")


# SQLite cannot reflect an index on an expression, so Alembic cannot compare the case-insensitive unique
# index on account names and the amount-size indexes there (PostgreSQL compares them); only those indexes'
# warnings are let through (the names are a regular expression's alternatives).
FUNCTIONAL_INDEX = "(uq_accounts_owner_id_lower_name|ix_transactions_account_size_id|ix_transactions_owner_size_id)"


@pytest.mark.filterwarnings(f"ignore:Skipped unsupported reflection of expression-based index {FUNCTIONAL_INDEX}")
@pytest.mark.filterwarnings(
    f"ignore:autogenerate skipping metadata-specified expression-based index '{FUNCTIONAL_INDEX}'")
def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """An empty database on the same engine, so downgrading does not disturb other tests."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS dashboard_scratch"))
        connection.execute(text("CREATE DATABASE dashboard_scratch"))
    yield database_url.replace("/dashboard_test", "/dashboard_scratch")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS dashboard_scratch WITH (FORCE)"))
    admin.dispose()


def test_upgrade_downgrade_and_upgrade_again(scratch_url):
    app = create_app(settings.TestingConfig(scratch_url))
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        assert {"users", "accounts", "transactions", "import_batches", "audit_events", "monthly_totals"} \
            <= set(inspect(db.engine).get_table_names())
        flask_migrate.downgrade(directory=MIGRATIONS, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade(directory=MIGRATIONS)
        assert "transactions" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_upgrade_suffixes_names_that_differ_only_in_case_then_refuses_them(scratch_url):
    app = create_app(settings.TestingConfig(scratch_url))
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0012")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (id, email, password_hash, role, active, must_change_password, session_version, "
                "preferences) VALUES (1, 'a@example.com', 'x', 'user', true, false, 1, '{}')"))
            for name in ("Everyday", "EVERYDAY", "Savings", "everyday"):
                connection.execute(text("INSERT INTO accounts (owner_id, name, type, currency, source) "
                                        "VALUES (1, :name, 'checking', 'GBP', 'manual')"), {"name": name})
        flask_migrate.upgrade(directory=MIGRATIONS)
        with db.engine.begin() as connection:
            names = connection.execute(text("SELECT name FROM accounts ORDER BY id")).scalars().all()
        assert names == ["Everyday", "EVERYDAY (2)", "Savings", "everyday (3)"]
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(text("INSERT INTO accounts (owner_id, name, type, currency, source) "
                                    "VALUES (1, 'SAVINGS', 'checking', 'GBP', 'manual')"))
        flask_migrate.downgrade(directory=MIGRATIONS, revision="0012")
        db.engine.dispose()
