"""The settings pages' forms."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from dashboard.api.tokens import MAX_EXPIRY_DAYS, MAX_NAME_LENGTH
from dashboard.auth import passkeys


class TokenForm(FlaskForm):
    # PostgreSQL refuses text holding NUL: such a name is refused here rather than answered with a 500.
    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_NAME_LENGTH),
                                           Regexp(r"^[^\x00]*$", message="Not a valid name.")],
                       description="What the token is for, e.g. \"monthly spreadsheet\".")
    read_only = BooleanField("Read-only (it may read but not change anything)")
    expires_days = IntegerField("Expires after (days)", validators=[Optional(), NumberRange(1, MAX_EXPIRY_DAYS)],
                                description="Leave empty for a token that does not expire.")
    submit = SubmitField("Create token")


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke")


class TwoFactorConfirmForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired("Enter the code your app shows."), Length(max=32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
                       description="The six digits your authenticator app shows for this account.")
    submit = SubmitField("Turn on two-factor sign-in")


class TwoFactorOffForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired("Enter a code to turn two-factor off."), Length(max=32)],
                       render_kw={"autocomplete": "one-time-code"},
                       description="A current code from your app, or a recovery code.")
    submit = SubmitField("Turn off two-factor sign-in")


class PasskeyForm(FlaskForm):
    """A new passkey: its name, and the browser's answer that static/js/passkeys.js fills in."""

    name = StringField("Passkey name", validators=[DataRequired("Name the passkey."),
                                                   Length(max=passkeys.MAX_NAME_LENGTH),
                                                   Regexp(r"^[^\x00]*$", message="Not a valid name.")],
                       description="Which device or key it is, e.g. \"work laptop\".")
    credential = HiddenField(validators=[DataRequired("Create the passkey in your browser first."),
                                         Length(max=passkeys.MAX_RESPONSE_LENGTH)])
    submit = SubmitField("Add a passkey")


class ConfirmForm(FlaskForm):
    """A button that only posts (with CSRF): new recovery codes, sign a session out."""

    submit = SubmitField("Confirm")
