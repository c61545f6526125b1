"""The category pages' forms: add, edit (rename, parent), merge, and point a source name elsewhere."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


def _id_or_none(value):
    """A select's value as an id: blank (no parent) is None, anything that is not a number is 0 (names no row)."""
    if value in (None, "", "None"):
        return None
    return int(value) if str(value).isdigit() else 0


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    parent = SelectField("Inside", coerce=_id_or_none, validate_choice=False, default=None)
    submit = SubmitField("Save")

    def offer_parents(self, categories, except_id: int | None = None) -> None:
        self.parent.choices = [SelectChoice(None, "— top level —"), *(
            SelectChoice(c.id, c.name) for c in categories if c.parent_id is None and c.id != except_id)]


class MergeForm(FlaskForm):
    into = SelectField("Merge into", coerce=_id_or_none, validate_choice=False)
    submit = SubmitField("Merge")

    def offer_targets(self, categories, except_id: int) -> None:
        self.into.choices = [SelectChoice(c.id, c.label) for c in categories if c.id != except_id]


class MappingForm(FlaskForm):
    category = SelectField("Category", coerce=_id_or_none, validate_choice=False)
    submit = SubmitField("Save")


class UndoForm(FlaskForm):
    submit = SubmitField("Undo")
