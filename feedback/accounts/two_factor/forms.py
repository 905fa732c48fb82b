"""Forms of two-factor sign-in: a code, a password, or both."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


def _code(label: str) -> StringField:
    return StringField(label, validators=[DataRequired(), Length(max=40)])


class CodeForm(FlaskForm):
    """The second step of signing in: a code from the app, or a recovery code."""

    code = _code("Code")


class ConfirmForm(FlaskForm):
    code = _code("The 6-digit code your app shows")


class PasswordForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=200)])


class DisableForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=200)])
    code = _code("A code from your app, or a recovery code")
