from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from dashboard.audit import Actor, AuditAction, record_event
from dashboard.auth import bp
from dashboard.auth.forms import LoginForm, PasswordChangeForm
from dashboard.auth.services import authenticate
from dashboard.extensions import db, limiter, login_manager
from dashboard.models import User
from dashboard.redirects import local_url

LOGIN_FAILED = "Invalid email or password"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The active user named by ``"<id>:<session version>"`` (see ``User.get_id``), or None.

    A cookie from before a logout, a password change or a deactivation names an older version and
    opens nothing. A database error is not swallowed: it reaches the 503 page instead of a login redirect.
    """
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def safe_next_url(target: str | None) -> str:
    """``next`` when it is a path on this site, else the dashboard."""
    return local_url(target) or url_for("accounts.overview")


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_email() -> str:
    """The limit's key for the address tried, so one account cannot be guessed at from many hosts."""
    return "login-email:" + request.form.get("email", "").strip().lower()[:254]


def _failed(response) -> bool:
    """Only failed attempts count: a successful login redirects, a refused one shows the form again."""
    return response.status_code == 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=_failed, key_func=_login_email)
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
            target = safe_next_url(request.args.get("next"))
            _new_session()
            login_user(user, remember=form.remember.data)
            if user.must_change_password:
                flash("An admin reset your password: choose a new one now.", "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(target)
        flash(LOGIN_FAILED, "danger")
        return render_template("auth/login.html", form=form), 200
    return render_template("auth/login.html", form=form)


def _new_session() -> None:
    """Nothing set before a login (a planted session, the old CSRF token) survives it."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    session.permanent = True


@bp.post("/logout")
def logout():
    """A POST, so CSRFProtect checks its token like every form's.

    The session version is bumped, so this cookie and its remember token open nothing even when replayed;
    the user's other sessions end with it (a signed cookie cannot be revoked alone without server state).
    """
    if current_user.is_authenticated:
        current_user.end_sessions()
        record_event(db.session, AuditAction.AUTH_LOGOUT, Actor(current_user.id, request.remote_addr),
                     owner_id=current_user.id)
        db.session.commit()
        session.clear()
        logout_user()  # after the clear: it leaves the order to delete the remember cookie in the session
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def _password_change_key() -> str:
    return f"password-change:{current_user.get_id()}"


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=_failed, key_func=_password_change_key)
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append("Choose a password different from your current one.")
        else:
            current_user.set_password(form.new_password.data)
            current_user.end_sessions()
            current_user.must_change_password = False
            record_event(db.session, AuditAction.AUTH_PASSWORD_CHANGED, Actor(current_user.id, request.remote_addr),
                         owner_id=current_user.id)
            db.session.commit()
            # Every other session ended with the version; this one goes on under the new one.
            remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            _new_session()
            login_user(current_user._get_current_object(), remember=remember)
            flash("Your password has been changed.", "success")
            return redirect(url_for("accounts.overview"))
    return render_template("auth/password.html", form=form)


PASSWORD_CHANGE_ALLOWS = frozenset({"auth.change_password", "auth.logout", "static", "health.healthz",
                                    "health.readyz", "health.favicon"})


@bp.before_app_request
def _require_new_password():
    """After an admin's reset, nothing opens until the user has chosen a new password."""
    if request.endpoint in PASSWORD_CHANGE_ALLOWS or request.blueprint == "api":
        return None  # probes and static files never load the user (the database may be down); the API has tokens
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


@bp.after_app_request
def _no_store_private_responses(response):
    """Nothing a signed-in user sees, and no download, is kept by the browser or a shared cache.

    The session is read rather than ``current_user``, which would query a database that may be down.
    """
    attachment = response.headers.get("Content-Disposition", "").startswith("attachment")
    if attachment or session.get("_user_id"):
        response.headers["Cache-Control"] = "no-store"
    return response
