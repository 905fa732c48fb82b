"""Forms of the themes page and of tagging a response."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
)

from feedback.accounts.models import Workspace
from feedback.themes import taxonomy
from feedback.web.forms import lines

SENTIMENTS = [
    SelectChoice("negative", "Negative"),
    SelectChoice("neutral", "Neutral"),
    SelectChoice("positive", "Positive"),
    SelectChoice("mixed", "Mixed"),
]


class TagForm(FlaskForm):
    theme = SelectField("Theme", validators=[DataRequired()])
    sentiment = SelectField("Sentiment", choices=SENTIMENTS, validators=[DataRequired()])


class UntagForm(FlaskForm):
    theme = HiddenField(validators=[DataRequired()])


class UncertainForm(FlaskForm):
    theme = HiddenField(validators=[DataRequired()])
    decision = SelectField(choices=["confirm", "dismiss"], validators=[DataRequired()])


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


def theme_choices(workspace: Workspace) -> list[SelectChoice]:
    """The workspace's themes as the choices of a tag form."""
    return [SelectChoice(t.slug, t.name) for t in taxonomy.list_themes(workspace)]
