"""The signed-in user's settings: API tokens, two-factor sign-in and active sessions."""
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from dashboard.access import storable_id
from dashboard.api.tokens import create_token, revoke_token, user_tokens
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.auth.passkeys import PasskeyError, passkeys_of, register_passkey, registration_options, remove_passkey
from dashboard.auth.routes import relying_party, renew_session
from dashboard.auth.sessions import device_of, end_other_sessions, end_session, session_id_of, sessions_of
from dashboard.auth.two_factor import (
    TwoFactorError,
    confirm_enrolment,
    credential_of,
    is_enrolled,
    new_recovery_codes,
    pending_secret,
    provisioning_uri,
    qr_code_svg,
    turn_off,
    unused_recovery_codes,
)
from dashboard.encryption import EncryptionError
from dashboard.extensions import db, limiter
from dashboard.settings import bp
from dashboard.settings.forms import (
    ConfirmForm, PasskeyForm, RevokeForm, TokenForm, TwoFactorConfirmForm, TwoFactorOffForm,
)


def _actor() -> Actor:
    return Actor(current_user.id, request.remote_addr)


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        new = create_token(db.session, _actor(), current_user, form.name.data, read_only=form.read_only.data,
                           expires_days=form.expires_days.data)
        db.session.commit()
        secret = new.secret  # shown on this response only; never stored
        form = TokenForm(formdata=None)
    return render_template("settings/tokens.html", form=form, secret=secret,
                           tokens=user_tokens(db.session, current_user.id), revoke_form=RevokeForm())


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    """Another user's token, or one revoked already, is not found (404), as any id that is not yours."""
    if not RevokeForm().validate_on_submit():
        flash("The form expired; please try again.", "warning")
        return redirect(url_for("settings.tokens"))
    if not revoke_token(db.session, _actor(), current_user.id, token_id):
        abort(404)
    db.session.commit()
    flash("The token is revoked: it no longer works.", "success")
    return redirect(url_for("settings.tokens"))


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _two_factor_key() -> str:
    return f"two-factor-settings:{current_user.id}"


def _failed(response) -> bool:
    return response.status_code == 422


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=_failed, key_func=_two_factor_key)
def two_factor():
    """Enrol (the QR code, the key as text, a first code to confirm) or, once on, manage recovery codes and
    passkeys."""
    credential = credential_of(db.session, current_user.id)
    if credential is not None and credential.confirmed_at is not None:
        return _enrolled_page(TwoFactorOffForm(), PasskeyForm())
    try:
        secret = pending_secret(db.session, current_user)
    except EncryptionError:
        db.session.rollback()
        return render_template("settings/two_factor.html", enrolled=False, unavailable=True)
    form = TwoFactorConfirmForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = confirm_enrolment(db.session, _actor(), current_user, form.code.data)
        except TwoFactorError as error:
            form.code.errors.append(str(error))
            status = 422
        else:
            renew_session(current_user._get_current_object())
            flash("Two-factor sign-in is on; every other session of yours has been signed out.", "success")
            return render_template("settings/recovery_codes.html", codes=codes)
    db.session.commit()  # the pending secret, so the code scanned now is still the one confirmed next
    uri = provisioning_uri(current_user, secret)
    return render_template("settings/two_factor.html", enrolled=False, form=form, secret=secret,
                           qr_code=qr_code_svg(uri)), status


@bp.post("/two-factor/recovery-codes")
@login_required
def recovery_codes():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("settings.two_factor"))
    try:
        codes = new_recovery_codes(db.session, _actor(), current_user)
    except TwoFactorError as error:
        flash(str(error), "warning")
        return redirect(url_for("settings.two_factor"))
    db.session.commit()
    return render_template("settings/recovery_codes.html", codes=codes)


@bp.post("/two-factor/off")
@login_required
@limiter.limit(_login_rate_limit, deduct_when=_failed, key_func=_two_factor_key)
def two_factor_off():
    form = TwoFactorOffForm()
    if not form.validate_on_submit():
        return redirect(url_for("settings.two_factor"))
    try:
        turn_off(db.session, _actor(), current_user, form.code.data)
    except TwoFactorError as error:
        db.session.commit()  # a recovery code used up stays used
        form.code.errors.append(str(error))
        return _enrolled_page(form, PasskeyForm()), 422
    db.session.commit()
    flash("Two-factor sign-in is off.", "success")
    return redirect(url_for("settings.two_factor"))


def _enrolled_page(off_form: TwoFactorOffForm, passkey_form: PasskeyForm) -> str:
    """The two-factor page once it is on: recovery codes, passkeys, turning it off."""
    return render_template("settings/two_factor.html", enrolled=True, off_form=off_form, confirm=ConfirmForm(),
                           passkey_form=passkey_form, passkeys=passkeys_of(db.session, current_user.id),
                           unused=unused_recovery_codes(db.session, current_user.id))


@bp.post("/two-factor/passkeys/options")
@login_required
def passkey_options():
    """A registration challenge, as JSON for ``navigator.credentials.create``; only with two-factor on."""
    if not is_enrolled(db.session, current_user.id):
        return {"error": "Turn two-factor sign-in on first."}, 409
    rp_id, _origin = relying_party()
    options = registration_options(db.session, current_user, rp_id, current_app.config["WEBAUTHN_RP_NAME"])
    db.session.commit()
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/two-factor/passkeys")
@login_required
@limiter.limit(_login_rate_limit, deduct_when=_failed, key_func=_two_factor_key)
def add_passkey():
    form = PasskeyForm()
    if form.validate_on_submit():
        try:
            register_passkey(db.session, _actor(), current_user, form.name.data, form.credential.data,
                             *relying_party())
        except PasskeyError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"The passkey \"{form.name.data.strip()}\" is added: use it at the login instead of a code.",
                  "success")
            return redirect(url_for("settings.two_factor"))
    db.session.commit()  # a challenge used up stays used
    if not is_enrolled(db.session, current_user.id):
        return redirect(url_for("settings.two_factor"))
    form.credential.data = ""  # the next try makes a new answer for a new challenge
    return _enrolled_page(TwoFactorOffForm(), form), 422


@bp.post("/two-factor/passkeys/<int:passkey_id>/remove", endpoint="remove_passkey")
@login_required
def remove_passkey_view(passkey_id: int):
    """Another user's passkey, or one removed already, is not found (404)."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("settings.two_factor"))
    if not storable_id(passkey_id) or not remove_passkey(db.session, _actor(), current_user, passkey_id):
        abort(404)
    db.session.commit()
    flash("The passkey is removed: it no longer signs you in.", "success")
    return redirect(url_for("settings.two_factor"))


@bp.get("/sessions")
@login_required
def sessions():
    rows = sessions_of(db.session, current_user.id)
    return render_template("settings/sessions.html", sessions=rows,
                           devices={row.id: device_of(row.user_agent) for row in rows},
                           current_id=session_id_of(db.session, current_user), confirm=ConfirmForm())


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_one_session(session_id: int):
    """Sign one session out; another user's session, or one already ended, is not found (404)."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("settings.sessions"))
    current = session_id == session_id_of(db.session, current_user)
    if not storable_id(session_id) or not end_session(db.session, current_user.id, session_id):
        abort(404)
    record_event(db.session, AuditAction.AUTH_SESSION_ENDED, _actor(), owner_id=current_user.id,
                 details={"sessions": 1})
    db.session.commit()
    if current:
        session.clear()
        logout_user()
        flash("You are logged out.", "info")
        return redirect(url_for("auth.login"))
    flash("That session is signed out.", "success")
    return redirect(url_for("settings.sessions"))


@bp.post("/sessions/end-others")
@login_required
def end_others():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("settings.sessions"))
    ended = end_other_sessions(db.session, current_user.id, keep_id=session_id_of(db.session, current_user))
    if ended:
        record_event(db.session, AuditAction.AUTH_SESSION_ENDED, _actor(), owner_id=current_user.id,
                     details={"sessions": ended})
    db.session.commit()
    flash(f"Signed out {ended} other session{'s' if ended != 1 else ''}.", "success")
    return redirect(url_for("settings.sessions"))
