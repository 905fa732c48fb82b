"""The forms of the import page: a file to look at first, then the import (or a dry run)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

FORMAT_CHOICES = [
    SelectChoice("delighted-json", "Delighted: survey responses as JSON (its API's list)"),
    SelectChoice("delighted-csv", "Delighted: CSV export of responses"),
    SelectChoice("zendesk-csv", "Zendesk: satisfaction ratings as CSV"),
    SelectChoice("csv", "Any CSV, with a mapping of its columns"),
]


class UploadForm(FlaskForm):
    file = FileField("File", validators=[FileRequired("Choose a file to import.")])
    format = SelectField("Format", choices=FORMAT_CHOICES, validators=[DataRequired()])
    mapping = TextAreaField(
        "Columns (for Any CSV): one field=column a line", validators=[Optional(), Length(max=2000)]
    )


class StartForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=64)])
    filename = StringField(validators=[Optional(), Length(max=300)])
    format = HiddenField(validators=[DataRequired(), Length(max=20)])
    mapping = HiddenField(validators=[Optional(), Length(max=2000)])
    dry_run = HiddenField(validators=[Optional()])
