"""/admin/audit: the audit log, filtered by actor, owner, action and date, newest first, keyset-paged."""
from __future__ import annotations

from functools import partial

from flask import render_template, request, url_for

from dashboard.admin import bp
from dashboard.admin.forms import AuditFilterForm
from dashboard.admin.queries import AuditFilter, audit_page, audit_position
from dashboard.extensions import db


def _filter(form: AuditFilterForm) -> AuditFilter:
    def valid(name: str):
        field = form[name]
        return None if field.errors else field.data

    return AuditFilter(actor=(valid("actor") or "").strip().lower(), owner=(valid("owner") or "").strip(),
                       action=valid("action") or "", date_from=valid("date_from"), date_to=valid("date_to"))


def _page_url(form: AuditFilterForm, **cursor) -> str:
    """This page with the same valid filters, the first page unless ``cursor`` names another."""
    args = {name: value for name, value in request.args.items()
            if name in form and not form[name].errors and value != ""}
    return url_for(".audit_log", **args, **cursor)


@bp.get("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    form.validate()
    position = audit_position(request.args.get("after"), request.args.get("before"), request.args.get("last") == "1")
    page = audit_page(db.session, _filter(form), position)
    return render_template("admin/audit.html", form=form, page=page, page_url=partial(_page_url, form))
