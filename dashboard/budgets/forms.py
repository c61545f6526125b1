"""The budget page's forms: a budget, removing one, and the day the budget month starts."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional, Regexp

from dashboard.accounts.forms import _amount_the_database_can_compare, _known_currency
from dashboard.budgets.months import LAST_WORKING_DAY, LATEST_START_DAY

START_DAY_CHOICES = [SelectChoice(str(day), f"Day {day}") for day in range(1, LATEST_START_DAY + 1)] + [
    SelectChoice(LAST_WORKING_DAY, "The last working day of the month")]


class BudgetForm(FlaskForm):
    category = SelectField("Category", coerce=int, validate_choice=True)
    amount = DecimalField("Amount a month", places=None, validators=[
        DataRequired(), NumberRange(min=0.01, message="A budget is a positive amount."),
        _amount_the_database_can_compare], render_kw={"inputmode": "decimal"})
    currency = StringField("Currency", validators=[DataRequired(), _known_currency], render_kw={"maxlength": 3})
    month = StringField("Only for the month (YYYY-MM)", validators=[
        Optional(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message="Use YYYY-MM, such as 2026-03.")],
        description="Leave empty for every month.")
    rollover_unspent = BooleanField("Carry what is left into the next month")
    rollover_overspent = BooleanField("Carry an overspend into the next month")
    submit = SubmitField("Save budget")


class DeleteBudgetForm(FlaskForm):
    budget_id = IntegerField(validators=[DataRequired()])
    delete = SubmitField("Remove")


class MonthStartForm(FlaskForm):
    start = SelectField("The budget month starts on", choices=START_DAY_CHOICES)
    save_start = SubmitField("Save")

