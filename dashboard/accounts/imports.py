"""Import pages: choose a file, preview, (map columns,) confirm, see the result, undo.

The preview never writes. The uploaded bytes travel between the steps in a
hidden form field, compressed and signed with SECRET_KEY for this user and
account, so any app process can finish the import and none keeps state. The
confirm step may carry a file up to MAX_CONTENT_LENGTH in base64, so that
step alone accepts a body a third larger than an upload (the signature is
checked before anything is read from it).
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from dashboard.access import READ, WRITE, account_or_404, scope_for, storable_id
from dashboard.accounts import bp
from dashboard.accounts.import_forms import FORMAT_NAMES, ConfirmImportForm, MappingForm, UndoImportForm, UploadForm
from dashboard.extensions import csrf, db
from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded
from dashboard.importers.loader import (
    BatchAlreadyUndone,
    account_batches,
    import_parsed,
    parse_upload,
    preview_import,
    undo_batch,
)
from dashboard.importers.records import ImportFileError
from dashboard.models import Account, ImportBatch

UPLOAD_MAX_AGE_SECONDS = 3600
SIGNED_UPLOAD_OVERHEAD = 64 * 1024


class UploadExpired(ValueError):
    pass


def sign_upload(data: bytes, filename: str, owner_id: int, account_id: int) -> str:
    body = base64.urlsafe_b64encode(zlib.compress(data)).decode()
    name = base64.urlsafe_b64encode(filename.encode()).decode()
    return _signer().sign(f"{owner_id}.{account_id}.{name}.{body}").decode()


def read_upload(token: str, owner_id: int, account_id: int) -> tuple[bytes, str]:
    """The bytes and file name signed for this owner and account; UploadExpired otherwise."""
    try:
        value = _signer().unsign(token, max_age=UPLOAD_MAX_AGE_SECONDS).decode()
        owner, account, name, body = value.split(".", 3)
        if (int(owner), int(account)) != (owner_id, account_id):
            raise BadSignature("signed for another account")
        inflate = zlib.decompressobj()
        data = inflate.decompress(base64.urlsafe_b64decode(body), current_app.config["MAX_CONTENT_LENGTH"] + 1)
        return data, base64.urlsafe_b64decode(name).decode()
    except SignatureExpired:
        raise UploadExpired("The preview is more than an hour old; choose the file again.") from None
    except (BadSignature, ValueError, binascii.Error, zlib.error):
        raise UploadExpired("The upload could not be read back; choose the file again.") from None


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.secret_key, salt="dashboard.import-upload")


@bp.route("/accounts/<int:account_id>/import", methods=["GET", "POST"])
@login_required
def import_file(account_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=WRITE)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("accounts/import_upload.html", account=account, form=form), 400 if form.errors else 200
    data = form.file.data.read()
    filename = form.file.data.filename or "upload"
    token = sign_upload(data, filename, current_user.id, account.id)
    return _preview_or_ask(account, data, filename, form.format.data, token)


@bp.post("/accounts/<int:account_id>/import/mapping")
@csrf.exempt  # checked in _signed_upload, once the larger body limit is set
@login_required
def import_mapping(account_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=WRITE)
    form, data, filename = _signed_upload(MappingForm, account)
    needed = _mapping_needed(data, filename, form.format.data)
    if needed is None:
        return _preview_or_ask(account, data, filename, form.format.data, form.upload.data)
    form.offer_columns(needed.columns, needed.date_formats)
    if form.validate_on_submit():
        try:
            mapping = form.column_mapping()
        except ValueError as error:
            form.amount_column.errors = [*form.amount_column.errors, str(error).capitalize() + "."]
        else:
            return _preview_or_ask(account, data, filename, form.format.data, form.upload.data, mapping)
    return _mapping_page(account, form, needed, filename), 400


@bp.post("/accounts/<int:account_id>/import/confirm")
@csrf.exempt  # checked in _signed_upload, once the larger body limit is set
@login_required
def import_confirm(account_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=WRITE)
    form, data, filename = _signed_upload(ConfirmImportForm, account)
    if not form.validate_on_submit():
        abort(400, "The confirmation form was incomplete or expired; choose the file again.")
    try:
        mapping = ColumnMapping.from_dict(json.loads(form.mapping.data)) if form.mapping.data else None
    except (ValueError, TypeError):
        abort(400, "The column mapping could not be read; choose the file again.")
    try:
        parsed, used_mapping = parse_upload(data, filename, form.format.data, mapping, account.csv_mapping)
        batch = import_parsed(db.session, current_user.id, account, parsed, filename, data,
                              mapping=used_mapping, remote_addr=request.remote_addr)
    except ImportFileError as error:
        db.session.rollback()
        return _upload_page_with_error(account, error, filename)
    db.session.commit()
    return redirect(url_for("accounts.import_result", account_id=account.id, batch_id=batch.id))


@bp.get("/accounts/<int:account_id>/imports/<int:batch_id>")
@login_required
def import_result(account_id: int, batch_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=READ)
    batch = _account_batch_or_404(account, batch_id)
    return render_template("accounts/import_result.html", account=account, batch=batch)


@bp.get("/accounts/<int:account_id>/imports")
@login_required
def import_batches(account_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=READ)
    return render_template("accounts/import_batches.html", account=account,
                           batches=account_batches(db.session, current_user.id, account.id))


@bp.route("/accounts/<int:account_id>/imports/<int:batch_id>/undo", methods=["GET", "POST"])
@login_required
def undo_import(account_id: int, batch_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=WRITE)
    batch = _account_batch_or_404(account, batch_id)
    form = UndoImportForm()
    if form.validate_on_submit():
        try:
            removed = undo_batch(db.session, current_user.id, batch.id, remote_addr=request.remote_addr)
        except BatchAlreadyUndone as error:
            db.session.rollback()
            flash(str(error).capitalize() + ".", "warning")
        else:
            db.session.commit()
            flash(f"Undid the import of {batch.filename}: removed {removed} transaction"
                  f"{'' if removed == 1 else 's'}.", "success")
        return redirect(url_for("accounts.import_batches", account_id=account.id))
    return render_template("accounts/import_undo.html", account=account, batch=batch, form=form)


# The steps' shared parts

def _preview_or_ask(account: Account, data: bytes, filename: str, file_format: str, token: str,
                    mapping: ColumnMapping | None = None):
    try:
        parsed, used_mapping = parse_upload(data, filename, file_format, mapping, account.csv_mapping)
    except MappingNeeded as needed:
        form = MappingForm(formdata=None, upload=token, format=file_format)
        form.offer_columns(needed.columns, needed.date_formats)
        form.fill_from(needed.guess)
        return _mapping_page(account, form, needed, filename)
    except ImportFileError as error:
        return _upload_page_with_error(account, error, filename)
    preview = preview_import(db.session, current_user.id, account, parsed, data)
    db.session.rollback()  # the preview only read; end its transaction
    confirm = ConfirmImportForm(formdata=None, upload=token, format=file_format,
                                mapping=json.dumps(used_mapping.to_dict()) if used_mapping else "")
    return render_template("accounts/import_preview.html", account=account, preview=preview, form=confirm,
                           filename=filename, mapping=used_mapping, format_names=FORMAT_NAMES)


def _mapping_page(account: Account, form: MappingForm, needed: MappingNeeded, filename: str):
    return render_template("accounts/import_mapping.html", account=account, form=form, needed=needed,
                           filename=filename)


def _upload_page_with_error(account: Account, error: ImportFileError, filename: str):
    form = UploadForm(formdata=None)
    return render_template("accounts/import_upload.html", account=account, form=form, error=error,
                           filename=filename), 400


def _mapping_needed(data: bytes, filename: str, file_format: str) -> MappingNeeded | None:
    try:
        parse_upload(data, filename, file_format)
    except MappingNeeded as needed:
        return needed
    except ImportFileError:
        pass  # the preview reports it
    return None


def _signed_upload(form_class: type[FlaskForm], account: Account) -> tuple[FlaskForm, bytes, str]:
    """The step's form and the file it carries, signed for this user and account.

    The body may hold the base64 of a file that was within MAX_CONTENT_LENGTH
    when uploaded, so the limit is raised before the form is read; CSRF is
    checked after that. An expired or foreign upload goes back to the upload page.
    """
    request.max_content_length = current_app.config["MAX_CONTENT_LENGTH"] * 4 // 3 + SIGNED_UPLOAD_OVERHEAD
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    form = form_class()
    try:
        data, filename = read_upload(form.upload.data or "", current_user.id, account.id)
    except UploadExpired as error:
        flash(str(error), "warning")
        abort(redirect(url_for("accounts.import_file", account_id=account.id)))
    return form, data, filename


def _account_batch_or_404(account: Account, batch_id: int) -> ImportBatch:
    if not storable_id(batch_id):
        abort(404)
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.owner_id != current_user.id or batch.account_id != account.id:
        abort(404)
    return batch
