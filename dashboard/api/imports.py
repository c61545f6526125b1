"""Imports over the API: the one import path (importers.services.import_file) and its undo."""
from __future__ import annotations

import json

from flask import request
from werkzeug.exceptions import Conflict, UnprocessableEntity

from dashboard.access import WRITE, account_or_404, batch_or_404
from dashboard.api import actor, bp, scope
from dashboard.api.documents import errors
from dashboard.api.schemas import ImportIn, ImportOut, UndoOut
from dashboard.extensions import db
from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded
from dashboard.importers.records import ImportFileError
from dashboard.importers.services import import_file
from dashboard.importers.undo import BatchAlreadyUndone, undo_batch


@bp.post("/accounts/<int:account_id>/imports")
@bp.arguments(ImportIn, location="files", unknown=None)
@bp.response(201, ImportOut)
@errors(403, 404, 413, 415, 422)
def create_import(values, account_id: int):
    """Import a bank file (multipart field ``file``) into the account: all of it or nothing, duplicates skipped.

    A CSV whose columns are ambiguous answers 422 with the columns found and a
    guessed mapping; send it back (edited) as the form field ``mapping``.
    """
    account = account_or_404(db.session, scope(), account_id, WRITE)
    upload = values["file"]
    data = upload.read()
    mapping = _mapping(request.form.get("mapping"))
    try:
        batch = import_file(db.session, scope(), actor(), data, upload.filename or "upload", account=account,
                            mapping=mapping)
    except MappingNeeded as needed:
        error = UnprocessableEntity(f"{needed} Send a 'mapping' form field with the columns to use (JSON).")
        error.data = {"messages": {"mapping": {"columns": needed.columns,
                                               "guess": needed.guess.to_dict() if needed.guess else None,
                                               "date_formats": needed.date_formats}}}
        raise error from None
    except ImportFileError as problem:
        error = UnprocessableEntity(str(problem))
        error.data = {"messages": {"file": [str(problem)]}}
        raise error from None
    return _batch(batch)


def _mapping(text: str | None) -> ColumnMapping | None:
    if not text:
        return None
    try:
        return ColumnMapping.from_dict(json.loads(text))
    except (ValueError, TypeError, AttributeError) as problem:
        error = UnprocessableEntity("The mapping is not a valid column mapping.")
        error.data = {"messages": {"mapping": [str(problem)]}}
        raise error from None


def _batch(batch) -> dict:
    return {"id": batch.id, "account_id": batch.account_id, "filename": batch.filename, "format": batch.format,
            "rows_read": batch.rows_read, "rows_inserted": batch.rows_inserted,
            "rows_duplicate": batch.rows_duplicate, "undone": batch.undone_at is not None}


@bp.delete("/imports/<int:batch_id>")
@bp.response(200, UndoOut)
@errors(403, 404, 409)
def undo_import(batch_id: int):
    """Undo an import: exactly the rows it wrote go."""
    batch = batch_or_404(db.session, scope(), batch_id, WRITE)
    try:
        removed = undo_batch(db.session, scope(), actor(), batch)
    except BatchAlreadyUndone as already:
        raise Conflict(str(already)) from None
    db.session.commit()
    return {"id": batch.id, "removed": removed}

