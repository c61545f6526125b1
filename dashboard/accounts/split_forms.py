"""The split form: one row per part (amount, category, note); rows left empty are not parts."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DecimalField, FieldList, Form, FormField, StringField, SubmitField
from wtforms.validators import Length, Optional

from dashboard.accounts.forms import _amount_the_database_can_compare, _no_nul_character
from dashboard.accounts.splits import MAX_PARTS, Part

EMPTY_ROWS = 2  # offered below the parts a transaction already has, up to MAX_PARTS


class SplitPartForm(Form):
    amount = DecimalField("Amount", places=None, validators=[Optional(), _amount_the_database_can_compare],
                          render_kw={"inputmode": "decimal", "autocomplete": "off"})
    category = StringField("Category", validators=[Optional(), Length(max=120), _no_nul_character],
                           render_kw={"list": "known-categories", "autocomplete": "off"})
    note = StringField("Note", validators=[Optional(), Length(max=2000), _no_nul_character])

    def validate(self, extra_validators=None) -> bool:
        """A row with a category or note but no amount is refused, not dropped without a word."""
        valid = super().validate(extra_validators)
        if valid and self.amount.data is None and ((self.category.data or "").strip()
                                                   or (self.note.data or "").strip()):
            self.amount.errors = ["Give this part an amount (or clear its category and note)."]
            return False
        return valid


class SplitForm(FlaskForm):
    parts = FieldList(FormField(SplitPartForm), min_entries=EMPTY_ROWS, max_entries=MAX_PARTS)
    submit = SubmitField("Save split")
    unsplit = SubmitField("Remove the split")

    def entered_parts(self) -> list[Part]:
        """The rows with an amount, in order; none when the user asked to remove the split."""
        if self.unsplit.data:
            return []
        return [Part(row.amount.data, (row.category.data or "").strip() or None, (row.note.data or "").strip() or None)
                for row in self.parts if row.amount.data is not None]
