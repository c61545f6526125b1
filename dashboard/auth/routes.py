from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import OperationalError

from dashboard.audit import Actor, AuditAction, record_event
from dashboard.auth import bp
from dashboard.auth.forms import LoginForm, PasswordChangeForm
from dashboard.auth.services import authenticate
from dashboard.extensions import db, limiter, login_manager
from dashboard.models import User

LOGIN_FAILED = "Invalid email or password"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user; None when inactive, or when the database is down (the 503 page still renders)."""
    try:
        user = db.session.get(User, int(user_id))
    except OperationalError:
        db.session.rollback()
        return None
    return user if user is not None and user.active else None


def safe_next_url(target: str | None) -> str:
    """``next`` only ever leads inside this site: a path, never another host or scheme."""
    if not target:
        return url_for("accounts.overview")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("accounts.overview")
    return target


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.overview"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        record_event(db.session, AuditAction.AUTH_LOGIN if user else AuditAction.AUTH_LOGIN_FAILED,
                     Actor(user.id if user else None, request.remote_addr), owner_id=user.id if user else None,
                     target=form.email.data.strip().lower()[:255])
        db.session.commit()
        if user:
            login_user(user, remember=form.remember.data)
            if user.must_change_password:
                flash("An admin reset your password: choose a new one now.", "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next_url(request.args.get("next")))
        flash(LOGIN_FAILED, "danger")
        return render_template("auth/login.html", form=form), 200
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """A POST, so CSRFProtect checks its token like every form's."""
    if current_user.is_authenticated:
        record_event(db.session, AuditAction.AUTH_LOGOUT, Actor(current_user.id, request.remote_addr),
                     owner_id=current_user.id)
        db.session.commit()
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        else:
            current_user.set_password(form.new_password.data)
            current_user.must_change_password = False
            record_event(db.session, AuditAction.AUTH_PASSWORD_CHANGED, Actor(current_user.id, request.remote_addr),
                         owner_id=current_user.id)
            db.session.commit()
            flash("Your password has been changed.", "success")
            return redirect(url_for("accounts.overview"))
    return render_template("auth/password.html", form=form)
