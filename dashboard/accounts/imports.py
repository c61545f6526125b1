"""Import pages: choose a file, preview, (map columns,) confirm, see the result, undo.

The preview never writes. The uploaded bytes travel between the steps in a
signed token (``upload_token.py``), so any app process can finish the import
and none keeps state. The confirm step may carry a file up to
MAX_CONTENT_LENGTH in base64, so that step alone accepts a body a third
larger than an upload (the signature is checked before anything is read
from it). The import itself, and its commit, is ``importers.services.import_file``.
"""
from __future__ import annotations

import json

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from dashboard.access import READ, WRITE, account_or_404, batch_or_404, scope_for
from dashboard.accounts import bp
from dashboard.accounts.import_forms import FORMAT_NAMES, ConfirmImportForm, MappingForm, UndoImportForm, UploadForm
from dashboard.accounts.upload_token import UploadExpired, UploadSigner
from dashboard.audit import Actor
from dashboard.balances import batch_stated_balances
from dashboard.extensions import csrf, db
from dashboard.similarity.suggestions import accept_in_batch, preview_suggestions
from dashboard.importers import services
from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded
from dashboard.importers.records import ImportFileError
from dashboard.importers.undo import BatchAlreadyUndone, account_batches, undo_batch
from dashboard.models import Account

SIGNED_UPLOAD_OVERHEAD = 64 * 1024


@bp.route("/accounts/<int:account_id>/import", methods=["GET", "POST"])
@login_required
def import_file(account_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=WRITE)
    form = UploadForm()
    if request.method == "GET":
        form.date_order.data = _preferred_date_order() or ""
    if not form.validate_on_submit():
        return render_template("accounts/import_upload.html", account=account, form=form), 400 if form.errors else 200
    _remember_date_order(form.date_order.data)
    data = form.file.data.read()
    filename = form.file.data.filename or "upload"
    token = UploadSigner.of_app(current_app).sign(data, filename, current_user.id, account.id)
    return _preview_or_ask(account, data, filename, form.format.data, token)


@bp.post("/accounts/<int:account_id>/import/reread")
@csrf.exempt  # checked in _signed_upload, once the larger body limit is set
@login_required
def import_reread(account_id: int):
    """The preview's one-click switch: the same file, its dates read in the other order."""
    account = account_or_404(db.session, scope_for(current_user), account_id, need=WRITE)
    form, data, filename = _signed_upload(ConfirmImportForm, account)
    mapping = _carried_mapping(form)
    return _preview_or_ask(account, data, filename, form.format.data, form.upload.data, mapping,
                           date_order=form.date_order.data or None)


@bp.post("/accounts/<int:account_id>/import/mapping")
@csrf.exempt  # checked in _signed_upload, once the larger body limit is set
@login_required
def import_mapping(account_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=WRITE)
    form, data, filename = _signed_upload(MappingForm, account)
    try:  # read once, without the saved mapping: the user is choosing the columns
        preview, _ = services.preview_file(db.session, scope_for(current_user), account, data, filename,
                                           file_format=form.format.data, saved_mapping=False)
    except MappingNeeded as needed:
        form.offer_columns(needed.columns, needed.date_formats)
        if form.validate_on_submit():
            try:
                mapping = form.column_mapping()
            except ValueError as error:
                form.amount_column.errors = [*form.amount_column.errors, str(error).capitalize() + "."]
            else:
                return _preview_or_ask(account, data, filename, form.format.data, form.upload.data, mapping)
        return _mapping_page(account, form, needed, filename), 400
    except ImportFileError as error:
        return _upload_page_with_error(account, error, filename)
    return _preview_page(account, preview, None, filename, form.format.data, form.upload.data)


@bp.post("/accounts/<int:account_id>/import/confirm")
@csrf.exempt  # checked in _signed_upload, once the larger body limit is set
@login_required
def import_confirm(account_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=WRITE)
    form, data, filename = _signed_upload(ConfirmImportForm, account)
    if not form.validate_on_submit():
        abort(400, "The confirmation form was incomplete or expired; choose the file again.")
    mapping = _carried_mapping(form)
    date_order = form.date_order.data or None
    try:  # the page offered no import button for a refused file; a forged or stale post gets the same answer
        batch = services.import_file(db.session, scope_for(current_user), Actor(current_user.id, request.remote_addr), data,
                                     filename, account=account, file_format=form.format.data, mapping=mapping,
                                     date_order=date_order,
                                     preferred_date_order=_preferred_date_order(),
                                     refuse_as_preview=True)
    except services.ImportRefused as refused:
        flash(refused.reason, "warning")
        return redirect(url_for("accounts.import_file", account_id=account.id))
    except ImportFileError as error:
        return _upload_page_with_error(account, error, filename)
    accepted = None if request.form.get("accept_all") == "1" else request.form.getlist("accept_description")
    if accepted is None or accepted:
        accept_in_batch(db.session, scope_for(current_user), Actor(current_user.id, request.remote_addr), batch.id,
                        accepted)
        db.session.commit()
    return redirect(url_for("accounts.import_result", account_id=account.id, batch_id=batch.id))


@bp.get("/accounts/<int:account_id>/imports/<int:batch_id>")
@login_required
def import_result(account_id: int, batch_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=READ)
    batch = batch_or_404(db.session, scope_for(current_user), batch_id, need=READ, account=account)
    return render_template("accounts/import_result.html", account=account, batch=batch)


@bp.get("/accounts/<int:account_id>/imports")
@login_required
def import_batches(account_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=READ)
    return render_template("accounts/import_batches.html", account=account,
                           batches=account_batches(db.session, scope_for(current_user), account.id))


@bp.route("/accounts/<int:account_id>/imports/<int:batch_id>/undo", methods=["GET", "POST"])
@login_required
def undo_import(account_id: int, batch_id: int):
    account = account_or_404(db.session, scope_for(current_user), account_id, need=WRITE)
    batch = batch_or_404(db.session, scope_for(current_user), batch_id, need=WRITE, account=account)
    form = UndoImportForm()
    if form.validate_on_submit():
        try:
            removed = undo_batch(db.session, scope_for(current_user), Actor(current_user.id, request.remote_addr), batch)
        except BatchAlreadyUndone as error:
            db.session.rollback()
            flash(str(error).capitalize() + ".", "warning")
        else:
            db.session.commit()
            flash(f"Undid the import of {batch.filename}: removed {removed} transaction"
                  f"{'' if removed == 1 else 's'}.", "success")
        return redirect(url_for("accounts.import_batches", account_id=account.id))
    return render_template("accounts/import_undo.html", account=account, batch=batch, form=form,
                           stated=batch_stated_balances(db.session, batch.id))


# The steps' shared parts

def _carried_mapping(form: ConfirmImportForm) -> ColumnMapping | None:
    """The column mapping the preview carried, if any; a mangled one is a bad request."""
    try:
        return ColumnMapping.from_dict(json.loads(form.mapping.data)) if form.mapping.data else None
    except (ValueError, TypeError, AttributeError, KeyError):
        abort(400, "The column mapping could not be read; choose the file again.")


def _preferred_date_order() -> str | None:
    """The user's date order for ambiguous files; without a setting, their locale's, else the browser's language's."""
    return services.preferred_date_order(current_user, request.accept_languages.best)


def _remember_date_order(date_order: str) -> None:
    """The upload form's "Date order for ambiguous files" is the user's setting: keep it when it changed."""
    if (current_user.preferences or {}).get("date_order", "") != date_order:
        current_user.preferences = {**(current_user.preferences or {}), "date_order": date_order}
        db.session.commit()


def _preview_or_ask(account: Account, data: bytes, filename: str, file_format: str, token: str,
                    mapping: ColumnMapping | None = None, date_order: str | None = None):
    preferred = _preferred_date_order()
    try:
        preview, used_mapping = services.preview_file(db.session, scope_for(current_user), account, data, filename,
                                                      file_format=file_format, mapping=mapping,
                                                      date_order=date_order, preferred_date_order=preferred)
        other_order = _other_date_order(account, data, filename, file_format, preview, mapping, preferred)
    except MappingNeeded as needed:
        form = MappingForm(formdata=None, upload=token, format=file_format)
        form.offer_columns(needed.columns, needed.date_formats)
        form.fill_from(needed.guess)
        return _mapping_page(account, form, needed, filename)
    except ImportFileError as error:
        return _upload_page_with_error(account, error, filename)
    return _preview_page(account, preview, used_mapping, filename, file_format, token, date_order, other_order)


def _other_date_order(account: Account, data: bytes, filename: str, file_format: str, preview,
                      mapping: ColumnMapping | None, preferred: str | None) -> str | None:
    """The date order the switch offers: the other one, when it also reads this CSV or QIF (every day is 12 or less)."""
    current = services.date_order_read(preview.format, preview.details)
    if current is None or mapping is not None:
        return None
    other = "mdy" if current == "dmy" else "dmy"
    try:
        again, _ = services.preview_file(db.session, scope_for(current_user), account, data, filename,
                                         file_format=file_format, date_order=other, preferred_date_order=preferred)
    except ImportFileError:
        return None
    return other if services.date_order_read(again.format, again.details) == other else None


def _preview_page(account: Account, preview, mapping: ColumnMapping | None, filename: str, file_format: str,
                  token: str, date_order: str | None = None, other_order: str | None = None):
    carried = {"upload": token, "format": file_format, "mapping": json.dumps(mapping.to_dict()) if mapping else ""}
    confirm = ConfirmImportForm(formdata=None, date_order=date_order or "", **carried)
    switch = ConfirmImportForm(formdata=None, date_order=other_order, **carried) if other_order else None
    return render_template("accounts/import_preview.html", account=account, preview=preview, form=confirm,
                           suggested=preview_suggestions(db.session, scope_for(current_user), preview.rows),
                           switch=switch, other_order=other_order, filename=filename, mapping=mapping,
                           format_names=FORMAT_NAMES)


def _mapping_page(account: Account, form: MappingForm, needed: MappingNeeded, filename: str):
    return render_template("accounts/import_mapping.html", account=account, form=form, needed=needed,
                           filename=filename)


def _upload_page_with_error(account: Account, error: ImportFileError, filename: str):
    form = UploadForm(formdata=None)
    return render_template("accounts/import_upload.html", account=account, form=form, error=error,
                           filename=filename), 400


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
        data, filename = UploadSigner.of_app(current_app).read(form.upload.data or "", current_user.id, account.id)
    except UploadExpired as error:
        flash(str(error), "warning")
        abort(redirect(url_for("accounts.import_file", account_id=account.id)))
    return form, data, filename
