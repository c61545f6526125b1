"""The category pages: the list (with parents), add, rename or re-parent, merge, the source mapping, and the undo
of a bulk categorise."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from dashboard.access import category_mapping_or_404, category_or_404, scope_for
from dashboard.audit import Actor
from dashboard.categories.bulk import bulk_change_or_404, undo_bulk_category
from dashboard.categories.forms import CategoryForm, MappingForm, MergeForm, UndoForm
from dashboard.categories.mapping import mappings_of, set_mapping
from dashboard.categories.services import (CategoryError, categories_of, category_lines, create_category,
                                           edit_category, merge_categories)
from dashboard.extensions import db
from dashboard.redirects import local_url

bp = Blueprint("categories", __name__, url_prefix="/categories")
UNDO_KEY = "bulk_category_undo"  # the signed session remembers the last bulk change, for its Undo button


def _actor() -> Actor:
    return Actor(current_user.id, request.remote_addr)


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    scope = scope_for(current_user)
    form = CategoryForm()
    form.offer_parents(categories_of(db.session, scope))
    if form.validate_on_submit():
        try:
            category = create_category(db.session, scope, _actor(), form.name.data, form.parent.data)
        except CategoryError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Category {category.label} added.", "success")
            return redirect(url_for(".index"))
    lines = category_lines(db.session, scope)
    db.session.commit()  # the default set, seeded on the first look
    return render_template("categories/index.html", lines=lines, form=form)


@bp.route("/<int:category_id>", methods=["GET", "POST"])
@login_required
def edit(category_id: int):
    scope = scope_for(current_user)
    category = category_or_404(db.session, scope, category_id)
    categories = categories_of(db.session, scope)
    form = CategoryForm(obj=category, parent=category.parent_id)
    form.offer_parents(categories, except_id=category.id)
    merge = MergeForm(formdata=None)
    merge.offer_targets(categories, category.id)
    if form.validate_on_submit():
        try:
            renamed = edit_category(db.session, scope, _actor(), category.id, form.name.data, form.parent.data)
        except CategoryError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Category saved; {renamed} transaction{'s' if renamed != 1 else ''} renamed with it."
                  if renamed else "Category saved.", "success")
            return redirect(url_for(".index"))
    return render_template("categories/edit.html", category=category, form=form, merge=merge)


@bp.post("/<int:category_id>/merge")
@login_required
def merge(category_id: int):
    scope = scope_for(current_user)
    category = category_or_404(db.session, scope, category_id)
    form = MergeForm()
    if form.validate() and form.into.data:
        target = category_or_404(db.session, scope, form.into.data)
        name, into = category.name, target.label
        try:
            moved = merge_categories(db.session, scope, _actor(), category.id, target.id)
        except CategoryError as error:
            db.session.rollback()
            flash(str(error), "warning")
            return redirect(url_for(".edit", category_id=category_id))
        db.session.commit()
        flash(f"Merged {name} into {into}: {moved} transaction{'s' if moved != 1 else ''} moved.", "success")
        return redirect(url_for(".index"))
    flash("Nothing changed: choose a category to merge into.", "warning")
    return redirect(url_for(".edit", category_id=category_id))


@bp.get("/mapping")
@login_required
def mapping():
    scope = scope_for(current_user)
    categories = categories_of(db.session, scope)
    mappings = mappings_of(db.session, scope)
    db.session.commit()
    return render_template("categories/mapping.html", mappings=mappings, categories=categories, form=MappingForm())


@bp.post("/mapping/<int:mapping_id>")
@login_required
def set_mapping_page(mapping_id: int):
    scope = scope_for(current_user)
    category_mapping_or_404(db.session, scope, mapping_id)
    form = MappingForm()
    if form.validate() and form.category.data is not None:
        changed = set_mapping(db.session, scope, _actor(), mapping_id, form.category.data)
        db.session.commit()
        flash("Mapping saved: rows arriving from now on take that category." if changed else "Nothing changed.",
              "success" if changed else "info")
    else:
        flash("Nothing changed: choose a category.", "warning")
    return redirect(url_for(".mapping"))


@bp.post("/undo/<int:event_id>")
@login_required
def undo(event_id: int):
    form = UndoForm()
    back = local_url(request.form.get("next")) or url_for("accounts.transactions")
    scope = scope_for(current_user)
    bulk_change_or_404(db.session, scope, event_id)
    if form.validate():
        restored = undo_bulk_category(db.session, scope, _actor(), event_id)
        db.session.commit()
        session.pop(UNDO_KEY, None)
        flash(f"Undone: {restored} transaction{'s' if restored != 1 else ''} back to their previous category.",
              "success")
    return redirect(back)


def remember_bulk_change(event_id: int | None, message: str) -> None:
    """Offer the Undo button for this bulk change on the next transaction page."""
    if event_id is not None:
        session[UNDO_KEY] = {"event_id": event_id, "message": message}


@bp.app_context_processor
def bulk_undo() -> dict:
    """The transaction table's template shows the pending undo, when there is one."""
    pending = session.get(UNDO_KEY) if current_user and current_user.is_authenticated else None
    return {"bulk_undo": pending, "bulk_undo_form": UndoForm() if pending else None}
