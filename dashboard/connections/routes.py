from __future__ import annotations

import json

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from dashboard import jobs
from dashboard.access import WRITE, match_review_or_404, scope_for, storable_id
from dashboard.audit import Actor
from dashboard.connections import bp
from dashboard.connections.forms import ConnectionForm, MatchReviewForm, TokenForm
from dashboard.extensions import csrf, db, talisman
from dashboard.models.teller import EnrollmentStatus
from dashboard.teller.client import TellerClient, settings_from_config
from dashboard.redirects import local_url
from dashboard.teller.enrollments import EnrollmentRefused, enroll, enrollment_of, enrollments_of, remove
from dashboard.teller.reviews import confirm_match, dismiss_match, open_reviews
from dashboard.teller.webhooks import enrollments_to_sync, first_delivery, signature_valid, signing_secrets

CONNECT_SCRIPT = "https://cdn.teller.io"  # connect.js; it opens Teller Connect in a frame from teller.io
CONNECT_FRAME = "https://teller.io"
# Only the Connect page loads Teller's script and its frame; every other page keeps the site-wide policy. The
# page itself talks only to this server (the frame answers it by postMessage; Teller's API is called server-side).
CONNECT_POLICY = {
    "default-src": "'self'", "img-src": "'self' data:", "style-src": "'self'",
    "script-src": f"'self' {CONNECT_SCRIPT}", "frame-src": CONNECT_FRAME,
    "connect-src": "'self'", "object-src": "'none'", "base-uri": "'self'",
    "form-action": "'self'", "frame-ancestors": "'none'",
}


def _actor() -> Actor:
    return Actor(current_user.id, request.remote_addr)


def _new_client(token: str) -> TellerClient:
    return TellerClient(token, settings_from_config(current_app.config))


@bp.get("/connections")
@login_required
def index():
    scope = scope_for(current_user)
    return render_template("connections/index.html", enrollments=enrollments_of(db.session, scope),
                           form=ConnectionForm(), statuses=EnrollmentStatus,
                           to_review=len(open_reviews(db.session, scope)))


@bp.route("/connections/connect", methods=["GET", "POST"])
@login_required
@talisman(content_security_policy=CONNECT_POLICY)
def connect():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            enrollment = enroll(db.session, scope_for(current_user), _actor(), form.access_token.data, _new_client,
                                form.enrollment_id.data or None)
        except EnrollmentRefused as error:
            form.access_token.errors.append(str(error))
        else:
            db.session.commit()
            result = jobs.enqueue_sync(enrollment.id)
            flash(f"Connected {enrollment.institution or 'your bank'}. "
                  + ("Its first sync has finished." if result else "Its first sync is queued."), "success")
            return redirect(url_for("connections.index"))
    reconnect = request.args.get("reconnect", type=int)
    enrollment = enrollment_of(db.session, scope_for(current_user), reconnect) if reconnect else None
    return render_template("connections/connect.html", form=form, reconnect=enrollment,
                           application_id=current_app.config.get("TELLER_APPLICATION_ID"),
                           environment=current_app.config.get("TELLER_ENVIRONMENT")), 400 if form.errors else 200


def _own_enrollment():
    form = ConnectionForm()
    if not form.validate_on_submit():
        abort(400)
    enrollment = enrollment_of(db.session, scope_for(current_user), form.connection.data)
    if enrollment is None:
        abort(404)
    return enrollment


@bp.post("/connections/sync")
@login_required
def sync_now():
    enrollment = _own_enrollment()
    back = local_url(request.form.get("next")) or url_for("connections.index")
    if enrollment.status != EnrollmentStatus.CONNECTED:
        flash("This connection needs reconnecting before it can sync.", "warning")
        return redirect(back)
    result = jobs.enqueue_sync(enrollment.id)
    if result is None:
        flash("Sync queued: this page shows when it finished.", "info")
    elif result.busy_since is not None:
        flash(f"Not started: {result.summary()}. This page shows when it finished.", "info")
    else:
        flash(("Sync " if result.error else "Sync finished: ") + result.summary(),
              "danger" if result.failed else "success")
    return redirect(back)


@bp.get("/connections/reviews")
@login_required
def reviews():
    """Posted rows that are likely a pending row the bank dropped: one click says whether they are one."""
    account_id = request.args.get("account", type=int)
    scope = scope_for(current_user)
    shown = open_reviews(db.session, scope, account_id if account_id and storable_id(account_id) else None)
    return render_template("connections/reviews.html", reviews=shown, form=MatchReviewForm())


@bp.post("/connections/reviews/confirm")
@login_required
def confirm_review():
    return _decide(confirm_match, "Confirmed: the pending row is gone, its category kept on the posted one.")


@bp.post("/connections/reviews/dismiss")
@login_required
def dismiss_review():
    return _decide(dismiss_match, "Kept both: they are two transactions.")


def _decide(decision, message: str):
    form = MatchReviewForm()
    if not form.validate_on_submit():
        abort(400)
    scope = scope_for(current_user)
    review = match_review_or_404(db.session, scope, form.review.data, need=WRITE)
    if decision(db.session, scope, _actor(), review):
        db.session.commit()
        flash(message, "success")
    return redirect(local_url(request.form.get("next")) or url_for("connections.reviews"))


@bp.post("/connections/remove")
@login_required
def disconnect():
    enrollment = _own_enrollment()
    remove(db.session, _actor(), enrollment)
    db.session.commit()
    flash("Disconnected. Its accounts and their history stay, no longer syncing.", "success")
    return redirect(url_for("connections.index"))


@bp.post("/teller/webhook")
@csrf.exempt
def webhook():
    """Verified, first-seen events only; the work goes to the queue so Teller gets its 200 at once."""
    body = request.get_data(cache=False)
    if not signature_valid(request.headers.get("Teller-Signature"), body,
                           signing_secrets(current_app.config.get("TELLER_SIGNING_SECRET"))):
        return {"error": "bad or stale signature"}, 401
    try:
        event = json.loads(body)
        event_id, event_type = str(event["id"]), str(event["type"])
    except (ValueError, KeyError, TypeError):
        return {"error": "not a Teller event"}, 400
    if not first_delivery(db.session, event_id, event_type):
        return {"error": "event already received"}, 409
    to_sync = enrollments_to_sync(db.session, event)
    db.session.commit()
    for enrollment_id in to_sync:
        jobs.enqueue_sync(enrollment_id)
    return {"status": "ok"}
