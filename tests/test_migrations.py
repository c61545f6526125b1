"""The migrations build the same schema as the models, up and down, on both engines."""
from pathlib import Path

import flask_migrate
import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select, text
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


def test_vectors_become_one_row_per_owner_and_key_and_back(scratch_url):
    """0039 groups the rows' own vectors into one per owner and key, named as the app names them (an import
    of the same rows afterwards finds them all); downgrading gives every row its own copy back."""
    from dashboard.models import SimilarityVector, User
    from dashboard.similarity.store import current_kind, vector_digests
    from dashboard.similarity.vectors import vectors_for
    from tests import factories
    from tests.test_similarity import HISTORY, stored_vectors

    app = create_app(settings.TestingConfig(scratch_url))
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        user = factories.create_user(db.session, "alice@example.com")
        account = factories.create_account(db.session, user, "Checking")
        factories.add_transactions(db.session, account, HISTORY)
        db.session.commit()
        computed = vectors_for(current_kind(), [(d, None, a) for _, d, a in stored_vectors(db.session, account.id)])
        halves = [vector.astype(np.float16).tobytes() for vector in computed]
        user_id, account_id = user.id, account.id
        db.session.remove()

        flask_migrate.downgrade(directory=MIGRATIONS, revision="0038")
        with db.engine.connect() as connection:
            own_copies = connection.execute(text("SELECT embedding FROM transaction_vectors "
                                                 "ORDER BY transaction_id")).scalars().all()
        assert [bytes(embedding) for embedding in own_copies] == halves

        flask_migrate.upgrade(directory=MIGRATIONS)
        assert [vector.astype(np.float16).tobytes() for vector, _, _ in stored_vectors(db.session, account_id)] == halves
        digests = set(db.session.scalars(select(SimilarityVector.digest)))
        assert digests == set(vector_digests(computed)) and len(digests) == 6
        user = db.session.get(User, user_id)
        factories.add_transactions(db.session, factories.create_account(db.session, user, "Savings"), HISTORY)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(SimilarityVector)) == 6
        db.session.remove()
        db.engine.dispose()
