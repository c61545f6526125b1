"""The rule form: a name, all/any, stop, and a fixed number of condition and action lines (blank lines ignored).

The form only gathers the lines into the JSON of DESIGN.md; ``rule_from_json``
decides whether the rule is valid, so the form, ``rules import`` and the API
refuse the same things with the same words.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from dashboard.models.rules import RuleMatch
from dashboard.rules.definitions import ActionKind, Field, Op, RuleError, rule_from_json

CONDITION_LINES = 4
ACTION_LINES = 3
FIELD_CHOICES = [SelectChoice("", "—"), SelectChoice(Field.DESCRIPTION.value, "Description"),
                 SelectChoice(Field.COUNTERPARTY.value, "Counterparty"), SelectChoice(Field.AMOUNT.value, "Amount"),
                 SelectChoice(Field.ACCOUNT.value, "Account"), SelectChoice(Field.DIRECTION.value, "Money in or out")]
OP_CHOICES = [SelectChoice(Op.CONTAINS.value, "contains"), SelectChoice(Op.EQUALS.value, "equals"),
              SelectChoice(Op.STARTS_WITH.value, "starts with"),
              SelectChoice(Op.MATCHES.value, "matches the regular expression"),
              SelectChoice(Op.ABOVE.value, "is above"), SelectChoice(Op.BELOW.value, "is below"),
              SelectChoice(Op.BETWEEN.value, "is between"), SelectChoice(Op.IS.value, "is")]
ACTION_CHOICES = [SelectChoice("", "—"), SelectChoice(ActionKind.SET_CATEGORY.value, "Set category to"),
                  SelectChoice(ActionKind.SET_COUNTERPARTY.value, "Set counterparty to"),
                  SelectChoice(ActionKind.APPEND_NOTE.value, "Append to the note"),
                  SelectChoice(ActionKind.MARK_TRANSFER.value, "Mark as a transfer"),
                  SelectChoice(ActionKind.SKIP.value, "Skip it on import")]


class ConditionLine(Form):
    field = SelectField("Field", choices=FIELD_CHOICES, default="", validate_choice=False)
    op = SelectField("Test", choices=OP_CHOICES, default=Op.CONTAINS.value, validate_choice=False)
    value = StringField("Value", validators=[Optional(), Length(max=500)])
    value_to = StringField("and", validators=[Optional(), Length(max=40)])


class ActionLine(Form):
    action = SelectField("Action", choices=ACTION_CHOICES, default="", validate_choice=False)
    value = StringField("Value", validators=[Optional(), Length(max=500)],
                        render_kw={"list": "known-categories", "autocomplete": "off"})


class RuleForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=120)])
    match = SelectField("Apply when", choices=[SelectChoice(RuleMatch.ALL.value, "all conditions hold"),
                                               SelectChoice(RuleMatch.ANY.value, "any condition holds")],
                        default=RuleMatch.ALL.value, validate_choice=False)
    stop = BooleanField("Stop here: later rules are not tried on a row this rule matched", default=True)
    conditions = FieldList(FormField(ConditionLine), min_entries=CONDITION_LINES, max_entries=CONDITION_LINES)
    actions = FieldList(FormField(ActionLine), min_entries=ACTION_LINES, max_entries=ACTION_LINES)
    submit = SubmitField("Save rule")

    def as_json(self) -> dict:
        """The rule as DESIGN's JSON, from the lines that were filled in."""
        conditions = []
        for line in self.conditions:
            data = line.form
            if not data.field.data:
                continue
            value = (data.value.data or "").strip()
            if data.op.data == Op.BETWEEN:
                value = [value, (data.value_to.data or "").strip()]
            conditions.append({"field": data.field.data, "op": data.op.data, "value": value})
        actions = [{"action": line.form.action.data, "value": (line.form.value.data or "").strip()}
                   for line in self.actions if line.form.action.data]
        return {"name": (self.name.data or "").strip(), "match": self.match.data, "stop": bool(self.stop.data),
                "conditions": conditions, "actions": actions}

    def definition(self):
        """The validated rule, or None with the reason added to the form's errors."""
        if not self.validate_on_submit():
            return None
        try:
            return rule_from_json(self.as_json())
        except RuleError as error:
            self.form_errors.append(str(error))
            return None

    def fill(self, data: dict) -> None:
        """Show a rule (as JSON) in the form's lines."""
        self.name.data, self.match.data, self.stop.data = data.get("name"), data.get("match"), data.get("stop", True)
        for line, condition in zip(self.conditions, data.get("conditions", [])):
            value = condition.get("value")
            line.form.field.data, line.form.op.data = condition.get("field"), condition.get("op")
            if isinstance(value, list):
                line.form.value.data, line.form.value_to.data = value[0], value[1]
            else:
                line.form.value.data = value
        for line, action in zip(self.actions, data.get("actions", [])):
            line.form.action.data, line.form.value.data = action.get("action"), action.get("value")


class ApplyForm(FlaskForm):
    """"Apply to existing transactions": which account (blank for all) and the confirmation."""

    account = HiddenField()
    submit = SubmitField("Change these transactions")


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token: move, delete."""

    submit = SubmitField()
