"""The account page's sharing forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from dashboard.accounts.forms import _no_nul_character

READ_ONLY, READ_WRITE = "read", "write"


class ShareForm(FlaskForm):
    email = EmailField("Share with (email)", validators=[DataRequired(), Length(max=254), _no_nul_character])
    access = SelectField("Access", choices=[SelectChoice(READ_ONLY, "Read-only"),
                                          SelectChoice(READ_WRITE, "Read and change transactions")],
                         default=READ_ONLY)
    submit = SubmitField("Share")


class UnshareForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), _no_nul_character])
    submit = SubmitField("Stop sharing")
