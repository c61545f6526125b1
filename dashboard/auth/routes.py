import time
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from dashboard.access import has_shares, nothing_shared_with
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.auth import bp
from dashboard.auth.forms import CodeForm, LoginForm, PasskeyLoginForm, PasswordChangeForm
from dashboard.auth.passkeys import PasskeyError, authentication_options, passkeys_of, verify_passkey
from dashboard.auth.services import authenticate
from dashboard.auth.sessions import (
    end_other_sessions, end_session, seen_now, session_id_of, session_of, sign_in_query, start_session,
)
from dashboard.auth.two_factor import enrolled, is_enrolled, required_setting, two_factor_required, verify_second_factor
from dashboard.extensions import db, limiter, login_manager
from dashboard.models import User
from dashboard.models.base import utcnow
from dashboard.models.users import Role
from dashboard.rates.preferences import first_money_currency
from dashboard.redirects import local_url

LOGIN_FAILED = "Invalid email or password"
CODE_FAILED = "That code is not valid. Enter the current code from your app, or one of your recovery codes."
SECOND_STEP_SECONDS = 300  # the password step is good for this long before the code must follow
PENDING = "two_factor_pending"  # the session key that holds a password-checked login awaiting its code


# Every signed-in request's one statement: the user, their session row, the two-factor rule and whether they have
# enrolled, whether anything is shared with them, and their home currency's fallback.
SIGN_IN = sign_in_query(required_setting(), enrolled(User.id), has_shares(User.id), first_money_currency(User.id))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The active user named by ``"<id>:<session version>:<session key>"`` (see ``User.get_id``), or None.

    The key must name a session row of the user that has not been ended (sign-out, "everywhere else", a password
    change) nor lapsed; a cookie from before a deactivation or an admin's reset names an older version. A database
    error is not swallowed: it reaches the 503 page instead of a login redirect.
    """
    user_id, _, rest = session_id.partition(":")
    version, _, key = rest.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18 or not 0 < len(key) <= 64:
        return None
    found = session_of(db.session, SIGN_IN, int(user_id), key, current_app.config["REMEMBER_COOKIE_DURATION"])
    if found is None:
        return None
    user, record, required, enrolled_now, shared, user.first_money_currency = found
    if not user.active or user.session_version != int(version):
        return None
    user.session_key = key
    user.two_factor_due = bool(required) and not enrolled_now
    if not shared:
        nothing_shared_with(user.id)
    others_pending = db.session.new or db.session.deleted or any(row is not record for row in db.session.dirty)
    if seen_now(record) and not others_pending:
        db.session.commit()  # nothing else is pending yet: this commit writes only "last seen"
    return user


def safe_next_url(target: str | None) -> str:
    """``next`` when it is a path on this site, else the dashboard."""
    return local_url(target) or url_for("accounts.overview")


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_email() -> str:
    """The limit's key for the address tried, so one account cannot be guessed at from many hosts."""
    return "login-email:" + request.form.get("email", "").strip().lower()[:254]


def _code_user() -> str:
    """The second step's limit per user whose password was given, wherever the codes come from."""
    pending = session.get(PENDING) or {}
    return f"login-code:{pending.get('user_id')}"


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
        if user and is_enrolled(db.session, user.id):
            target = safe_next_url(request.args.get("next"))
            db.session.commit()
            _new_session()
            session[PENDING] = {"user_id": user.id, "version": user.session_version, "at": int(time.time()),
                                "remember": bool(form.remember.data), "next": target}
            return redirect(url_for("auth.login_code"))
        record_event(db.session, AuditAction.AUTH_LOGIN if user else AuditAction.AUTH_LOGIN_FAILED,
                     Actor(user.id if user else None, request.remote_addr), owner_id=user.id if user else None,
                     target=form.email.data.strip().lower()[:255])
        if user:
            return _signed_in(user, form.remember.data, safe_next_url(request.args.get("next")))
        db.session.commit()
        flash(LOGIN_FAILED, "danger")
        return render_template("auth/login.html", form=form), 200
    return render_template("auth/login.html", form=form)


def _pending_user() -> tuple[User | None, dict]:
    """The user whose password was checked moments ago in this browser, still active and unchanged; or None."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > SECOND_STEP_SECONDS:
        return None, {}
    user = db.session.get(User, pending.get("user_id"))
    if user is None or not user.active or user.session_version != pending.get("version"):
        return None, {}
    return user, pending


def _second_step():
    """The pending login's user and its details, or where to go instead: home when signed in already, the login
    when no password was checked in this browser moments ago."""
    if current_user.is_authenticated:
        return None, {}, redirect(url_for("accounts.overview"))
    user, pending = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash("Please log in again.", "info")
        return None, {}, redirect(url_for("auth.login"))
    return user, pending, None


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=_failed, key_func=_code_user)
def login_code():
    """The second step: a TOTP code or a recovery code, after the password."""
    user, pending, elsewhere = _second_step()
    if elsewhere is not None:
        return elsewhere
    form = CodeForm()
    if form.validate_on_submit():
        method = verify_second_factor(db.session, user, form.code.data)
        actor = Actor(user.id, request.remote_addr)
        if method:
            record_event(db.session, AuditAction.AUTH_LOGIN, actor, owner_id=user.id, target=user.email,
                         details={"second_factor": method})
            return _signed_in(user, pending.get("remember", False), safe_next_url(pending.get("next")))
        record_event(db.session, AuditAction.AUTH_CODE_FAILED, actor, owner_id=user.id, target=user.email)
        db.session.commit()
        flash(CODE_FAILED, "danger")
        return _code_page(user, form), 200
    return _code_page(user, form)


def _code_page(user: User, form: CodeForm) -> str:
    """The second step's page: the "Code" field, and "Use a passkey" when the user has one."""
    return render_template("auth/code.html", form=form, passkey_form=PasskeyLoginForm(formdata=None),
                           has_passkeys=bool(passkeys_of(db.session, user.id)))


def relying_party() -> tuple[str, str]:
    """The passkeys' relying-party id and origin: WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN, else this request's host
    (as seen through TRUSTED_PROXIES), the id being the origin's host name."""
    origin = current_app.config.get("WEBAUTHN_ORIGIN") or request.host_url.rstrip("/")
    return current_app.config.get("WEBAUTHN_RP_ID") or urlsplit(origin).hostname, origin


@bp.post("/login/passkey/options")
def login_passkey_options():
    """The challenge for the pending login's passkeys, as JSON for ``navigator.credentials.get``."""
    user, _pending = _pending_user()
    if user is None or not passkeys_of(db.session, user.id):
        return {"error": "Please log in again."}, 400
    options = authentication_options(db.session, user, relying_party()[0])
    db.session.commit()
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/login/passkey")
@limiter.limit(_login_rate_limit, deduct_when=_failed)
@limiter.limit(_login_rate_limit, deduct_when=_failed, key_func=_code_user)
def login_passkey():
    """The second step with a passkey instead of a code; a refusal counts like a wrong code."""
    user, pending, elsewhere = _second_step()
    if elsewhere is not None:
        return elsewhere
    actor = Actor(user.id, request.remote_addr)
    form = PasskeyLoginForm()
    message = "Use your passkey first."
    if form.validate_on_submit():
        try:
            passkey = verify_passkey(db.session, user, form.credential.data, *relying_party())
        except PasskeyError as error:
            message = str(error)
        else:
            record_event(db.session, AuditAction.AUTH_LOGIN, actor, owner_id=user.id, target=user.email,
                         details={"second_factor": "passkey", "passkey": passkey.id})
            return _signed_in(user, pending.get("remember", False), safe_next_url(pending.get("next")))
    record_event(db.session, AuditAction.AUTH_CODE_FAILED, actor, owner_id=user.id, target=user.email,
                 details={"second_factor": "passkey"})
    db.session.commit()
    flash(message, "danger")
    return _code_page(user, CodeForm(formdata=None)), 200


def _signed_in(user: User, remember: bool, target: str):
    """Start this browser's session row and cookie, commit, and go where the user must go first."""
    user.last_login_at = utcnow()
    _begin_session(user, remember)
    if user.must_change_password:
        flash("An admin reset your password: choose a new one now.", "warning")
        return redirect(url_for("auth.change_password"))
    if _must_enrol(user):
        flash("Two-factor sign-in is required here: set it up now.", "warning")
        return redirect(url_for("settings.two_factor"))
    return redirect(target)


def renew_session(user: User) -> None:
    """End every session of the user, this one too, and go on in this browser under a new key (committed).

    After a password change or enrolment, no cookie saved before it opens anything, this browser's included.
    """
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    end_other_sessions(db.session, user.id, keep_id=None)
    _begin_session(user, remember)


def _begin_session(user: User, remember: bool) -> None:
    """A fresh cookie naming a new session row of ``user`` for this browser (committed)."""
    _new_session()
    user.session_key = start_session(db.session, user, request.user_agent.string, request.remote_addr,
                                     current_app.config["REMEMBER_COOKIE_DURATION"])
    db.session.commit()
    login_user(user, remember=remember)


def _new_session() -> None:
    """Nothing set before a login (a planted session, the old CSRF token) survives it."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    session.permanent = True


@bp.post("/logout")
def logout():
    """A POST, so CSRFProtect checks its token like every form's.

    Only this browser's session row is removed, so this cookie and its remember token open nothing even when
    replayed, and the user's other sessions go on (they end on /settings/sessions).
    """
    if current_user.is_authenticated:
        end_session(db.session, current_user.id, session_id_of(db.session, current_user))
        record_event(db.session, AuditAction.AUTH_LOGOUT, Actor(current_user.id, request.remote_addr),
                     owner_id=current_user.id)
        db.session.commit()
        session.clear()
        logout_user()  # after the clear: it leaves the order to delete the remember cookie in the session
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def _password_change_key() -> str:
    return f"password-change:{current_user.id}"


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
            current_user.must_change_password = False
            record_event(db.session, AuditAction.AUTH_PASSWORD_CHANGED, Actor(current_user.id, request.remote_addr),
                         owner_id=current_user.id)
            renew_session(current_user._get_current_object())
            flash("Your password has been changed; every other session of yours has been signed out.", "success")
            return redirect(url_for("accounts.overview"))
    return render_template("auth/password.html", form=form)


ALWAYS_ALLOWED = frozenset({"auth.logout", "static", "health.healthz", "health.readyz", "health.favicon"})
PASSWORD_CHANGE_ALLOWS = ALWAYS_ALLOWED | {"auth.change_password"}
ENROLMENT_ALLOWS = ALWAYS_ALLOWED | {"settings.two_factor"}


def _must_enrol(user: User) -> bool:
    if user.two_factor_due is not None:
        return user.two_factor_due  # read with the user at sign-in (load_user)
    return two_factor_required(db.session) and not is_enrolled(db.session, user.id)


@bp.before_app_request
def _require_new_password():
    """After an admin's reset, nothing opens until the user has chosen a new password; where two-factor is
    required, nothing opens until the user has enrolled."""
    if request.endpoint in ALWAYS_ALLOWED or request.blueprint == "api":
        return None  # probes and static files never load the user (the database may be down); the API has tokens
    if not current_user.is_authenticated:
        return None
    if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ALLOWS:
        return redirect(url_for("auth.change_password"))
    if request.endpoint not in ENROLMENT_ALLOWS and _must_enrol(current_user):
        return redirect(url_for("settings.two_factor"))
    return None


VIEWER_ALLOWS = ALWAYS_ALLOWED | {"auth.login", "auth.login_code", "auth.change_password", "settings.two_factor",
                                  "settings.two_factor_off", "settings.recovery_codes", "settings.sessions",
                                  "settings.end_one_session", "settings.end_others", "auth.login_passkey_options",
                                  "auth.login_passkey", "settings.passkey_options", "settings.add_passkey",
                                  "settings.remove_passkey"}


@bp.before_app_request
def _keep_viewers_to_reports():
    """A viewer (bookkeeper) reads the organisation-wide reports (the admin blueprint lets them in) and their own
    settings, and nothing else: no accounts, transactions, imports, tokens or bank connections, no writes."""
    if request.blueprint in ("admin", "api") or request.endpoint in VIEWER_ALLOWS or request.endpoint is None:
        return None
    if not current_user.is_authenticated or current_user.role != Role.VIEWER:
        return None
    if request.endpoint == "accounts.overview":
        return redirect(url_for("admin.profit_and_loss"))
    abort(403)


@bp.after_app_request
def _no_store_private_responses(response):
    """Nothing a signed-in user sees, and no download, is kept by the browser or a shared cache.

    The session is read rather than ``current_user``, which would query a database that may be down.
    """
    attachment = response.headers.get("Content-Disposition", "").startswith("attachment")
    if attachment or session.get("_user_id") or session.get(PENDING):
        response.headers["Cache-Control"] = "no-store"
    return response
