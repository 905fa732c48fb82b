"""Forms of sign-in, the account, the workspace's settings, its keys and its members."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
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

from feedback.accounts.passwords import MIN_LENGTH
from feedback.web.forms import WholeNumberField, lines


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


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
    require_two_factor = BooleanField("Require two-factor sign-in of every member")

    def payload(self) -> dict[str, Any]:
        return {
            "name": self.name.data,
            "timezone": self.timezone.data.strip(),
            "allowed_origins": lines(self.allowed_origins.data),
            "recontact_days": self.recontact_days.data,
            "low_n": self.low_n.data,
            "require_verified_identity": bool(self.require_verified_identity.data),
            "require_two_factor": bool(self.require_two_factor.data),
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


def email_validators() -> list[Any]:
    """What every address typed into a form must be: present, one @, a dot after it."""
    return [
        DataRequired(),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address."),
        Length(max=320),
    ]


# The roles an admin grants; an owner is only ever made by hand, never by a default.
GRANTED_ROLES = [
    SelectChoice("viewer", "Viewer: reads"),
    SelectChoice("analyst", "Analyst: also tags comments"),
    SelectChoice("admin", "Admin: manages surveys, themes, keys and users"),
]
ROLE_CHOICES = [*GRANTED_ROLES, SelectChoice("owner", "Owner")]


class MemberForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=email_validators(),
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


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email",
        # A pasted address often brings a space along.
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=email_validators(),
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        f"New password ({MIN_LENGTH} or more characters)",
        validators=[
            DataRequired(),
            Length(
                min=MIN_LENGTH,
                max=200,
                message=f"A password needs {MIN_LENGTH} to 200 characters.",
            ),
        ],
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )
