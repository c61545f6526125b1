"""/admin/users: the list, creating users, deactivating and reactivating, roles and password resets.

Each view parses the form, calls one function of ``dashboard.auth.services`` with the signed-in admin as the
actor, and redirects to the list; a refusal (the last active admin, a taken email) is flashed there.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from dashboard.access import storable_id
from dashboard.admin import bp
from dashboard.admin.forms import (
    ROLE_CHOICES,
    PasswordResetForm,
    RequireTwoFactorForm,
    RoleForm,
    UserCreateForm,
    UserStatusForm,
)
from dashboard.audit import Actor
from dashboard.auth import services, two_factor
from dashboard.extensions import db
from dashboard.models import User
from dashboard.models.users import Role


def _actor() -> Actor:
    return Actor(current_user.id, request.remote_addr)


def _users_page(create_form: UserCreateForm, status: int = 200):
    return render_template("admin/users.html", users=services.list_users(db.session), create_form=create_form,
                           role_choices=ROLE_CHOICES, two_factor_on=two_factor.enrolled_user_ids(db.session),
                           require_form=RequireTwoFactorForm(required=two_factor.two_factor_required(db.session))
                           ), status


@bp.get("/users")
def users():
    return _users_page(UserCreateForm())


@bp.post("/users")
def create_user():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.add_user(db.session, _actor(), form.email.data, form.password.data, Role(form.role.data))
        except ValueError as error:
            form.email.errors.append(str(error))
        else:
            user.must_change_password = form.must_change_password.data
            db.session.commit()
            flash(f"Created {user.email} ({user.role}).", "success")
            return redirect(url_for(".users"))
    db.session.rollback()
    return _users_page(form, 422)


def _apply(change, user_id: int, done: str, *args):
    """``change(session, actor, user, *args)`` committed and ``done`` flashed, or its refusal flashed."""
    user = _user_or_404(user_id)
    try:
        change(db.session, _actor(), user, *args)
    except ValueError as error:
        db.session.rollback()
        flash(f"{str(error)[0].upper()}{str(error)[1:]}.", "danger")
    else:
        db.session.commit()
        flash(done.format(email=user.email), "success")
    return redirect(url_for(".users"))


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    if not UserStatusForm().validate_on_submit():
        return redirect(url_for(".users"))
    return _apply(services.deactivate_user, user_id, "Deactivated {email}: every session of theirs has ended.")


@bp.post("/users/<int:user_id>/activate")
def activate_user(user_id: int):
    if not UserStatusForm().validate_on_submit():
        return redirect(url_for(".users"))
    return _apply(services.activate_user, user_id, "Reactivated {email}.")


@bp.post("/users/<int:user_id>/role")
def set_role(user_id: int):
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose one of the roles.", "danger")
        return redirect(url_for(".users"))
    return _apply(services.set_role, user_id, f"{{email}} is now {form.role.data}.", Role(form.role.data))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        return _apply(services.reset_password, user.id,
                      "Reset the password of {email}: they must choose a new one at their next login.",
                      form.password.data)
    return render_template("admin/user_password.html", user=user, form=form), 422 if form.errors else 200


@bp.post("/users/<int:user_id>/two-factor/reset")
def reset_two_factor(user_id: int):
    if not UserStatusForm().validate_on_submit():
        return redirect(url_for(".users"))
    return _apply(two_factor.reset_two_factor, user_id,
                  "Reset two-factor sign-in of {email}: every session of theirs has ended; they enrol again.")


@bp.post("/settings/two-factor")
def require_two_factor():
    form = RequireTwoFactorForm()
    if form.validate_on_submit():
        try:
            changed = two_factor.require_two_factor(db.session, _actor(), form.required.data)
        except two_factor.TwoFactorError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            if changed:
                flash("Two-factor sign-in is now required of everyone." if form.required.data
                      else "Two-factor sign-in is now each user's choice.", "success")
    return redirect(url_for(".users"))


def _user_or_404(user_id: int) -> User:
    """The user with this id, or 404 (an id no row can have, too)."""
    user = db.session.get(User, user_id) if storable_id(user_id) else None
    if user is None:
        abort(404)
    return user
