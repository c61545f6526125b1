"""The "Review suggestions" page (every uncategorised row with its suggested category), accepting suggestions,
and the "similar to" search."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from dashboard.access import READ, WRITE, scope_for, transaction_ids_or_404, transaction_or_404
from dashboard.audit import Actor
from dashboard.extensions import db
from dashboard.redirects import local_url
from dashboard.similarity.forms import AcceptSuggestionsForm, SimilarSearchForm
from dashboard.similarity.suggestions import (
    SUGGESTION_LIMIT, apply_suggestions, review_rows, similar_to, similar_transactions, suggestions,
    suggestions_for_ids,
)

bp = Blueprint("similarity", __name__)
SIMILAR_LIMIT = 50


@bp.get("/suggestions")
@login_required
def review():
    rows = review_rows(db.session, scope_for(current_user))
    return render_template("similarity/review.html", rows=rows, limit=SUGGESTION_LIMIT,
                           suggested=sum(1 for _, s in rows if s is not None),
                           form=AcceptSuggestionsForm(next=url_for(".review")))


@bp.post("/suggestions/accept")
@login_required
def accept():
    form = AcceptSuggestionsForm()
    if not form.validate():
        abort(400)
    back = local_url(form.next.data) or url_for(".review")
    scope = scope_for(current_user)
    if request.form.get("every_row") == "1":
        chosen = suggestions(db.session, scope)
    else:
        try:
            ids = [int(value) for value in request.form.getlist("ids")]
        except ValueError:
            abort(404)
        if not ids:
            flash("Nothing changed: tick at least one row.", "warning")
            return redirect(back)
        chosen = suggestions_for_ids(db.session, scope, transaction_ids_or_404(db.session, scope, ids, WRITE))
    changed = apply_suggestions(db.session, scope, Actor(current_user.id, request.remote_addr), chosen)
    db.session.commit()
    flash(f"Categorised {changed} transaction{'s' if changed != 1 else ''} as suggested." if changed
          else "Nothing changed: no suggestion to accept.", "success" if changed else "info")
    return redirect(back)


@bp.get("/similar")
@login_required
def similar():
    """Transactions like one of the user's (``?transaction=ID``) or like words typed (``?q=``)."""
    scope = scope_for(current_user)
    form = SimilarSearchForm(request.args)
    valid = form.validate()
    like, found = None, []
    if valid and form.transaction.data:
        like = transaction_or_404(db.session, scope, form.transaction.data, READ)
        found = similar_transactions(db.session, scope, like, SIMILAR_LIMIT)
    elif valid and form.q.data and form.q.data.strip():
        found = similar_to(db.session, scope, form.q.data, k=SIMILAR_LIMIT)
    return render_template("similarity/similar.html", form=form, like=like, found=found)
