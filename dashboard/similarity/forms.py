"""Forms of the suggestion and similar-transaction pages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SearchField
from wtforms.validators import Length, NumberRange, Optional


class AcceptSuggestionsForm(FlaskForm):
    """Accept the suggested categories of the rows ticked (``ids``), or of every row shown (``every_row``)."""

    next = HiddenField()


class SimilarSearchForm(FlaskForm):
    """The "similar to" search: rows like a transaction of the user's, or like words typed."""

    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField("Similar to", validators=[Optional(), Length(max=200)])
    transaction = IntegerField("Transaction", validators=[Optional(), NumberRange(min=1)])
