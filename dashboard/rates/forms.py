"""The rates page's hand-entry form and the currency preferences form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField, SubmitField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from dashboard.rates.files import currency_code, exact_rate
from dashboard.rates.preferences import IncomeConversion

CURRENCY_INPUT = {"maxlength": 3, "autocapitalize": "characters", "autocomplete": "off"}


def _currency(form, field):
    code = currency_code(field.data or "")
    if code is None:
        raise ValidationError("Use a three-letter ISO 4217 currency code, such as GBP, EUR or USD.")
    field.data = code


def _rate(form, field):
    try:
        field.data = exact_rate(field.data or "")
    except ValueError as error:
        raise ValidationError(f"Not a valid rate: {error}.") from None


class RateForm(FlaskForm):
    """One rate by hand: 1 ``base`` = ``rate`` ``quote`` on ``date``; it is the user's own."""

    base = StringField("From", validators=[DataRequired(), _currency], render_kw=CURRENCY_INPUT)
    quote = StringField("To", validators=[DataRequired(), _currency], render_kw=CURRENCY_INPUT)
    date = DateField("Date", validators=[DataRequired(message="Give the date the rate is for.")])
    rate = StringField("Rate", validators=[DataRequired(), _rate], render_kw={"inputmode": "decimal"},
                       description="How many of the second currency one of the first buys, e.g. 0.8601.")
    submit = SubmitField("Save rate")

    def validate_quote(self, field):
        if field.data and field.data == self.base.data:
            raise ValidationError("A rate needs two different currencies.")


class CurrencyPreferencesForm(FlaskForm):
    home_currency = StringField("Home currency", validators=[DataRequired(), _currency], render_kw=CURRENCY_INPUT,
                                description="Totals, net worth and reports can be shown converted into it.")
    income_conversion = RadioField(
        "Convert income and expenses at", default=IncomeConversion.DAILY.value,
        choices=[SelectChoice(IncomeConversion.DAILY.value, "the rate of each transaction's date"),
                 SelectChoice(IncomeConversion.MONTHLY.value, "the month's average rate")])
    submit = SubmitField("Save preferences")
