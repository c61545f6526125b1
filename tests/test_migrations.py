"""The migrations build the same schema as the models, up and down, on both engines."""
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import config as settings
from dashboard import create_app
from dashboard.extensions import db
from dashboard.models import Base

MIGRATIONS = str(Path(__file__).resolve().parents[1] / "migrations")


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
