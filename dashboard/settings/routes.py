"""The signed-in user's settings: API tokens (create, list, revoke)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from dashboard.api.tokens import create_token, revoke_token, user_tokens
from dashboard.audit import Actor
from dashboard.extensions import db
from dashboard.settings import bp
from dashboard.settings.forms import RevokeForm, TokenForm


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
