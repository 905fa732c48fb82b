"""Dashboard forms (WTForms through Flask-WTF, so each carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length

SENTIMENTS = [
    ("negative", "Negative"),
    ("neutral", "Neutral"),
    ("positive", "Positive"),
    ("mixed", "Mixed"),
]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class TagForm(FlaskForm):
    theme = SelectField("Theme", validators=[DataRequired()])
    sentiment = SelectField("Sentiment", choices=SENTIMENTS, validators=[DataRequired()])


class UntagForm(FlaskForm):
    theme = HiddenField(validators=[DataRequired()])
