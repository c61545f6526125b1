from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from dashboard.auth.passkeys import MAX_RESPONSE_LENGTH
from dashboard.models.users import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired()], render_kw={"autocomplete": "username", "type": "email"})
    password = PasswordField("Password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in")
    submit = SubmitField("Log in")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a new password."), Length(min=MIN_PASSWORD_LENGTH, message=f"Use at least {MIN_PASSWORD_LENGTH} characters.")],
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "Repeat new password",
        # No DataRequired: a blank new password gets one message, on the field above.
        validators=[EqualTo("new_password", message="The two new passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")



class CodeForm(FlaskForm):
    """The login's second step: the six digits the authenticator app shows, or a recovery code."""

    code = StringField("Code", validators=[DataRequired("Enter the code from your app."), Length(max=32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none",
                                  "spellcheck": "false"},
                       description="The six-digit code from your authenticator app, or one of your recovery codes.")
    submit = SubmitField("Verify")


class PasskeyLoginForm(FlaskForm):
    """The login's second step with a passkey: the browser's signed answer, filled in by static/js/passkeys.js."""

    credential = HiddenField(validators=[DataRequired("Use your passkey first."), Length(max=MAX_RESPONSE_LENGTH)])
