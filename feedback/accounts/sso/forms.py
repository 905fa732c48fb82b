"""Forms of single sign-on: its settings, and the work email that finds a person's provider."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from feedback.accounts.forms import GRANTED_ROLES, email_validators
from feedback.accounts.sso.connections import ConnectionSettings
from feedback.web.forms import lines


class SsoStartForm(FlaskForm):
    email = EmailField("Work email", validators=email_validators())


class SsoSettingsForm(FlaskForm):
    issuer = StringField("Issuer URL", validators=[DataRequired(), Length(max=500)])
    client_id = StringField("Client ID", validators=[DataRequired(), Length(max=255)])
    client_secret = PasswordField("Client secret", validators=[Optional(), Length(max=2000)])
    domains = TextAreaField("Allowed email domains (one per line)", validators=[DataRequired()])
    default_role = SelectField(
        "Accounts made at first sign-in",
        choices=[
            SelectChoice("", "None: only invited members sign in"),
            *GRANTED_ROLES,
        ],
        validators=[Optional()],
    )
    required = BooleanField("Require single sign-on (owners keep their password)")

    def settings(self) -> ConnectionSettings:
        return ConnectionSettings(
            issuer=self.issuer.data or "",
            client_id=self.client_id.data or "",
            client_secret=self.client_secret.data or "",
            allowed_domains=lines((self.domains.data or "").replace(",", "\n")),
            default_role=self.default_role.data or None,
            required=bool(self.required.data),
        )
