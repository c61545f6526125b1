from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from dashboard.access import scope_for
from dashboard.audit import Actor
from dashboard.budgets.forms import BudgetForm, DeleteBudgetForm, MonthStartForm
from dashboard.budgets.months import month_of, parse_month, start_day_of
from dashboard.budgets.services import (
    BudgetError,
    budget_report,
    categories_by_id,
    category_label,
    delete_budget,
    set_budget,
    set_month_start,
)
from dashboard.categories.seeding import seed_categories
from dashboard.extensions import db
from dashboard.rates.report_switch import home_currency_report
from dashboard.models import Account, Category

bp = Blueprint("budgets", __name__, url_prefix="/budgets")


def _actor() -> Actor:
    return Actor(current_user.id, request.remote_addr)


def _budget_form() -> tuple[BudgetForm, dict[int, Category]]:
    """The form offering the user's categories ("Food › Groceries"), seeded when the user has none yet, and the
    currency of their first account."""
    form = BudgetForm()
    categories = categories_by_id(db.session, current_user.id)
    if not categories:  # the first visit gives the user the default list and the categories in use, kept
        seed_categories(db.session, current_user.id)
        db.session.commit()
        categories = categories_by_id(db.session, current_user.id)
    form.category.choices = sorted((SelectChoice(c.id, category_label(c, categories)) for c in categories.values()),
                                   key=lambda choice: choice.label.casefold())
    if not form.currency.data:
        form.currency.data = db.session.scalar(select(Account.currency).where(Account.owner_id == current_user.id)
                                               .order_by(Account.id).limit(1)) or "USD"
    return form, categories


def _shown_month(start) -> tuple[date, str | None]:
    """The month asked for in ``?month=YYYY-MM`` (the current budget month otherwise) and why one was ignored."""
    today_month = month_of(date.today(), start).label
    asked = request.args.get("month")
    if not asked:
        return today_month, None
    try:
        return parse_month(asked), None
    except ValueError as error:
        return today_month, str(error)


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    start = start_day_of(current_user.preferences)
    label, problem = _shown_month(start)
    form, categories = _budget_form()
    if request.method == "POST" and form.validate_on_submit():
        category = categories[form.category.data]
        try:
            set_budget(db.session, scope_for(current_user), _actor(), category, form.amount.data, form.currency.data,
                       parse_month(form.month.data) if form.month.data else None,
                       form.rollover_unspent.data, form.rollover_overspent.data,
                       starts=month_of(date.today(), start).label)
        except BudgetError as error:
            form.amount.errors = [str(error)]
        else:
            db.session.commit()
            flash(f"Budget for {category.name} saved.", "success")
            return redirect(url_for(".index", month=request.args.get("month") or None))
    scope = scope_for(current_user)
    report = budget_report(db.session, scope, start, label, date.today())
    return render_template("budgets/index.html", report=report, form=form, problem=problem,
                           delete_form=DeleteBudgetForm(), start_form=MonthStartForm(start=str(start)),
                           this_month=month_of(date.today(), start),
                           **home_currency_report(scope, None, "budgets", report)), 400 if form.errors else 200


@bp.post("/delete")
@login_required
def delete():
    form = DeleteBudgetForm()
    if not form.validate():
        flash("Nothing removed: no budget was named.", "warning")
        return redirect(url_for(".index"))
    delete_budget(db.session, scope_for(current_user), _actor(), form.budget_id.data)
    db.session.commit()
    flash("Budget removed.", "success")
    return redirect(url_for(".index"))


@bp.post("/month-start")
@login_required
def month_start():
    form = MonthStartForm()
    if not form.validate():
        flash("Nothing changed: choose a day from 1 to 28, or the last working day.", "warning")
        return redirect(url_for(".index"))
    try:
        set_month_start(db.session, _actor(), current_user, form.start.data)
    except BudgetError as error:
        flash(f"Nothing changed: {error}", "warning")
        return redirect(url_for(".index"))
    db.session.commit()
    flash("The budget month now starts on the day you chose.", "success")
    return redirect(url_for(".index"))
