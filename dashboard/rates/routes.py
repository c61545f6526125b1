"""The rates page: the newest published rates and the user's own, entered by hand."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from dashboard.audit import Actor
from dashboard.extensions import db
from dashboard.rates import bp
from dashboard.rates.forms import RateForm
from dashboard.rates.services import latest_published, own_rates, set_own_rate


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    form = RateForm()
    if form.validate_on_submit():
        set_own_rate(db.session, Actor(current_user.id, request.remote_addr), current_user.id, form.base.data,
                     form.quote.data, form.date.data, form.rate.data)
        db.session.commit()
        flash(f"Saved: 1 {form.base.data} = {form.rate.data} {form.quote.data} on {form.date.data:%d %b %Y}.",
              "success")
        return redirect(url_for("rates.index"))
    return render_template("rates/index.html", form=form, own=own_rates(db.session, current_user.id),
                           published=latest_published(db.session)), 400 if form.errors else 200
