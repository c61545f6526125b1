from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from dashboard.access import scope_for
from dashboard.audit import Actor
from dashboard.extensions import db
from dashboard.models.recurring import RecurringStatus
from dashboard.recurring import bp
from dashboard.recurring.forms import DecisionForm, EditPaymentForm
from dashboard.recurring.services import RecurringError, decide, find_payment, recurring_overview


def _actor() -> Actor:
    return Actor(current_user.id, request.remote_addr)


@bp.get("/")
@login_required
def index():
    overview = recurring_overview(db.session, scope_for(current_user), date.today())
    return render_template("recurring/index.html", overview=overview, today=date.today(), form=DecisionForm())


@bp.post("/decide")
@login_required
def decide_page():
    form = DecisionForm()
    if not form.validate():
        abort(400)
    status = RecurringStatus.DISMISSED if form.dismiss.data else RecurringStatus.CONFIRMED
    item = decide(db.session, scope_for(current_user), _actor(), form.key.data, form.currency.data, status,
                  date.today())
    db.session.commit()
    flash(f"{'Dismissed' if status == RecurringStatus.DISMISSED else 'Confirmed'} {item.pattern.name}.", "success")
    return redirect(url_for(".index", _anchor=f"recurring-{item.decision.id}"))


@bp.route("/edit", methods=["GET", "POST"])
@login_required
def edit():
    scope = scope_for(current_user)
    form = EditPaymentForm(request.form if request.method == "POST" else request.args)
    if not form.key.validate(form) or not form.currency.validate(form):
        abort(404)
    item = find_payment(db.session, scope, form.key.data, form.currency.data, date.today())
    if request.method == "GET":
        form.name.data = form.name.data or item.pattern.name
        form.amount.data = item.pattern.amount
        form.cadence.data = item.pattern.cadence.value
    elif form.validate():
        try:
            decide(db.session, scope, _actor(), item.pattern.key, item.pattern.currency, RecurringStatus.CONFIRMED,
                   date.today(), form.name.data, form.amount.data, form.cadence.data)
        except RecurringError as error:
            form.amount.errors = [str(error)]
        else:
            db.session.commit()
            flash(f"Saved {form.name.data or item.pattern.name}.", "success")
            return redirect(url_for(".index"))
    return render_template("recurring/edit.html", form=form, item=item), 400 if form.errors else 200
