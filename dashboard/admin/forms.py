"""The administration forms: user changes (POST, with CSRF) and the audit-log filter (a GET form: its state is
the URL)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, Form, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from dashboard.audit import AuditAction
from dashboard.models.users import MIN_PASSWORD_LENGTH, Role

ROLE_CHOICES = [SelectChoice(Role.USER.value, "User"), SelectChoice(Role.VIEWER.value, "Viewer (reports only)"),
                SelectChoice(Role.ADMIN.value, "Admin")]
PASSWORD_RULE = Length(min=MIN_PASSWORD_LENGTH, max=200, message=f"Use {MIN_PASSWORD_LENGTH} to 200 characters.")


def _no_nul_character(form, field):
    if field.data and "\x00" in field.data:
        raise ValidationError("Not a valid value.")


class UserCreateForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), _no_nul_character])
    password = PasswordField("Temporary password", validators=[DataRequired(), PASSWORD_RULE],
                             render_kw={"autocomplete": "new-password"})
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.USER.value)
    must_change_password = BooleanField("Must choose a new password at first login", default=True)
    submit = SubmitField("Create user")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    submit = SubmitField("Set role")


class UserStatusForm(FlaskForm):
    """Deactivate or reactivate: nothing to fill in but the CSRF token."""

    submit = SubmitField()


class RequireTwoFactorForm(FlaskForm):
    required = BooleanField("Require two-factor sign-in for everyone (users without it enrol after their password)")
    submit = SubmitField("Save")


class PasswordResetForm(FlaskForm):
    password = PasswordField("Temporary password", validators=[DataRequired(), PASSWORD_RULE],
                             render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField("Repeat temporary password", validators=[
        DataRequired(), EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Reset password")


class AuditFilterForm(Form):
    """Built from ``request.args``; an invalid field is reported and left out of the filter."""

    actor = StringField("Actor", validators=[Optional(), Length(max=254), _no_nul_character],
                        description='an email, or "system" for the CLI and jobs')
    owner = StringField("Owner", validators=[Optional(), Length(max=254), _no_nul_character])
    action = SelectField("Action", default="", choices=[
        SelectChoice("", "Any action"), *(SelectChoice(action.value) for action in AuditAction)])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
