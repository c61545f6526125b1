"""Forms of the recurring payments page: a decision on one payment, and its edit."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from dashboard.accounts.forms import _amount_the_database_can_compare, _no_nul_character
from dashboard.recurring.detection import CADENCES


class PaymentForm(FlaskForm):
    """Names one detected payment by its key and currency (hidden fields of each row's buttons)."""

    key = HiddenField(validators=[DataRequired(), Length(max=255), _no_nul_character])
    currency = HiddenField(validators=[DataRequired(), Length(min=3, max=3), _no_nul_character])


class DecisionForm(PaymentForm):
    confirm = SubmitField("Confirm")
    dismiss = SubmitField("Dismiss")


class EditPaymentForm(PaymentForm):
    name = StringField("Name", validators=[Optional(), Length(max=120), _no_nul_character])
    amount = DecimalField("Expected amount", places=None, validators=[DataRequired(), _amount_the_database_can_compare],
                          description="Negative: money out, such as -9.99.", render_kw={"inputmode": "decimal"})
    cadence = SelectField("How often", choices=[SelectChoice(cadence.value, label) for cadence, (*_, label) in CADENCES.items()])
    submit = SubmitField("Save and confirm")
