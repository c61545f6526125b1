"""The preferences page: the home currency and how income and expenses are converted into it."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from dashboard.audit import Actor
from dashboard.extensions import db
from dashboard.rates.forms import CurrencyPreferencesForm
from dashboard.rates.preferences import IncomeConversion, home_currency, income_conversion, set_currency_preferences
from dashboard.settings import bp


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = CurrencyPreferencesForm(data={"home_currency": home_currency(db.session, current_user),
                                         "income_conversion": income_conversion(current_user).value})
    if form.validate_on_submit():
        changed = set_currency_preferences(db.session, Actor(current_user.id, request.remote_addr), current_user,
                                           form.home_currency.data, IncomeConversion(form.income_conversion.data))
        db.session.commit()
        flash("Preferences saved." if changed else "Nothing changed.", "success" if changed else "info")
        return redirect(url_for("settings.preferences"))
    return render_template("settings/preferences.html", form=form), 400 if form.errors else 200
