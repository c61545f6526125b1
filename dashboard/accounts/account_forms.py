"""Opening an account by hand, so a new user has somewhere to import a statement into."""
from __future__ import annotations

from babel.numbers import list_currencies
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

ACCOUNT_TYPES = [
    SelectChoice("checking", "Checking / current"), SelectChoice("savings", "Savings"),
    SelectChoice("credit_card", "Credit card"), SelectChoice("business", "Business"),
    SelectChoice("loan", "Loan or mortgage"), SelectChoice("investment", "Investment"),
    SelectChoice("cash", "Cash"), SelectChoice("ledger", "Nominal ledger (accounting export)"),
]


def _known_currency(form, field):
    field.data = (field.data or "").strip().upper()
    if field.data not in list_currencies():
        raise ValidationError("Use a three-letter ISO 4217 currency code, such as GBP, EUR or USD.")


class AccountForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    type = SelectField("Type", choices=ACCOUNT_TYPES, default="checking")
    currency = StringField("Currency", validators=[DataRequired(), _known_currency], default="GBP",
                           render_kw={"maxlength": 3, "autocapitalize": "characters"})
    institution = StringField("Bank or institution", validators=[Optional(), Length(max=120)])
    last_four = StringField("Last four digits", validators=[Optional(), Regexp(r"^\d{4}$", message="Four digits.")],
                            render_kw={"inputmode": "numeric", "maxlength": 4})
    submit = SubmitField("Add account")
