"""The preview: counts of new rows and duplicates, the first rows, the same file seen before; no write."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from dashboard.access import Scope
from dashboard.importers.preview import preview_import
from dashboard.models import ImportBatch
from tests import factories
from tests.test_importers_batches import load, owner_rows, parsed


def test_preview_counts_new_and_duplicates_and_writes_nothing(db, user):
    account = factories.create_account(db.session, user)
    load(db, user, account, parsed(("2025-01-05", "-3.50", "Coffee")), data=b"first")
    later = parsed(("2025-01-05", "-3.50", "Coffee"), ("2025-01-06", "-20.00", "Books"))

    preview = preview_import(db.session, Scope.of_user(user.id), account, later, b"second")
    db.session.commit()

    assert (preview.read, preview.new, preview.duplicates) == (2, 1, 1)
    assert [(row.description, row.amount, row.is_new, row.line) for row in preview.rows] == [
        ("Coffee", Decimal("-3.50"), False, 2), ("Books", Decimal("-20.00"), True, 3)]
    assert preview.previous_import is None
    assert owner_rows(db, user.id) == (1, Decimal("-3.50"))
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1
    assert preview_import(db.session, Scope.of_user(user.id), account, later, b"first").previous_import is not None
