"""Dashboard forms (WTForms through Flask-WTF, so each carries its CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from feedback.errors import ascii_whole

SENTIMENTS = [
    SelectChoice("negative", "Negative"),
    SelectChoice("neutral", "Neutral"),
    SelectChoice("positive", "Positive"),
    SelectChoice("mixed", "Mixed"),
]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class TagForm(FlaskForm):
    theme = SelectField("Theme", validators=[DataRequired()])
    sentiment = SelectField("Sentiment", choices=SENTIMENTS, validators=[DataRequired()])


class UntagForm(FlaskForm):
    theme = HiddenField(validators=[DataRequired()])


def whole(value: Any) -> int:
    """`coerce=` of a choice of ids: the digits 0-9 alone (`int` also reads "٣" and " 3 ")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # a choice's own value, or data the view set
    number = ascii_whole(value) if isinstance(value, str) else None
    if number is None:
        raise ValueError("Not a whole number.")
    return number


class WholeNumberField(IntegerField):
    """A number field that takes the digits 0-9 alone, as `whole` does."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = whole(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValueError("Enter a whole number in the digits 0-9.") from exc


def lines(text: str | None) -> list[str]:
    """The non-empty lines of a textarea, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class ThemeForm(FlaskForm):
    slug = StringField("Slug", validators=[DataRequired(), Length(max=64)])
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=1000)])
    phrases = TextAreaField("Phrases (one per line)", validators=[Optional()])
    exclusions = TextAreaField("Exclusions (one per line)", validators=[Optional()])

    def payload(self) -> dict[str, Any]:
        return {
            "slug": self.slug.data.strip(),
            "name": self.name.data,
            "description": self.description.data or "",
            "phrases": lines(self.phrases.data),
            "exclusions": lines(self.exclusions.data),
        }


class MergeForm(FlaskForm):
    into = SelectField("Merge into", validators=[DataRequired()])


class AdoptForm(FlaskForm):
    phrase = HiddenField(validators=[DataRequired(), Length(max=100)])


class WorkspaceForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    timezone = StringField("Timezone", validators=[DataRequired(), Length(max=64)])
    allowed_origins = TextAreaField("Allowed origins (one per line)", validators=[Optional()])
    recontact_days = WholeNumberField(
        "Days between surveys to one person", validators=[InputRequired(), NumberRange(0, 3650)]
    )
    low_n = WholeNumberField(
        "Low-confidence threshold (responses)", validators=[InputRequired(), NumberRange(1, 10000)]
    )
    require_verified_identity = BooleanField("Require verified identities in the widget")

    def payload(self) -> dict[str, Any]:
        return {
            "name": self.name.data,
            "timezone": self.timezone.data.strip(),
            "allowed_origins": lines(self.allowed_origins.data),
            "recontact_days": self.recontact_days.data,
            "low_n": self.low_n.data,
            "require_verified_identity": bool(self.require_verified_identity.data),
        }


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    scope = SelectField(
        "Access",
        choices=[SelectChoice("read", "Read only"), SelectChoice("write", "Read and write")],
        validators=[DataRequired()],
    )

    def scopes(self) -> list[str]:
        return ["read", "write"] if self.scope.data == "write" else ["read"]


ROLE_CHOICES = [
    SelectChoice("viewer", "Viewer: reads"),
    SelectChoice("analyst", "Analyst: also tags comments"),
    SelectChoice("admin", "Admin: manages surveys, themes, keys and users"),
    SelectChoice("owner", "Owner"),
]


class MemberForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired(),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address."),
            Length(max=320),
        ],
    )
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])


class NewPasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        "New password (8 or more characters)", validators=[DataRequired(), Length(min=8, max=200)]
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class JoinForm(FlaskForm):
    """A person without an account makes one, with a password only they know."""

    name = StringField("Your name", validators=[Length(max=200)])
    password = PasswordField(
        "Choose a password (8 or more characters)",
        validators=[DataRequired(), Length(min=8, max=200)],
    )
    confirm = PasswordField(
        "The password again",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
