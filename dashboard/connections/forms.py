from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


class TokenForm(FlaskForm):
    """Filled by Teller Connect's onSuccess (hidden fields), or by hand with a sandbox token."""

    access_token = PasswordField("Access token", validators=[DataRequired(), Length(max=512)])
    enrollment_id = HiddenField()
    submit = SubmitField("Connect")


class ConnectionForm(FlaskForm):
    """A POST naming one of the user's connections by id (the id travels in the form, with CSRF)."""

    connection = IntegerField(validators=[DataRequired()])


class MatchReviewForm(FlaskForm):
    """Confirm or dismiss one pending-to-posted match on the review list (its id travels in the form)."""

    review = IntegerField(validators=[DataRequired()])
