"""The survey builder's form: a survey definition as fields, and back.

The form only shapes input; `feedback.surveys.validate_survey` (through the survey services)
decides what is valid, and its error names a field path such as `followups[1].options`, which
`field_for` turns back into the form field to show it next to.
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from feedback.surveys.definition import (
    CHANNELS,
    FOLLOWUP_TYPES,
    MAX_FOLLOWUPS,
    STATUSES,
    THEMES,
    URL_MATCHES,
)
from feedback.surveys.kinds import KINDS
from feedback.surveys.models import Survey
from feedback.web.forms import WholeNumberField, lines

FOLLOWUP_ROWS = 4
URL_ROWS = 3
STYLES = sorted({style for kind in KINDS.values() for style in kind.styles})


def _choices(values: Any) -> list[SelectChoice]:
    return [SelectChoice(v, v.replace("_", " ")) for v in values]


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FollowupForm(Form):
    """One follow-up row; a row with neither id nor prompt is left out."""

    id = StringField("Id", validators=[Optional(), Length(max=40)])
    type = SelectField("Type", choices=_choices(FOLLOWUP_TYPES), default="text")
    prompt = StringField("Prompt", validators=[Optional(), Length(max=500)])
    options = TextAreaField("Options (one per line)", validators=[Optional()])
    score_low = WholeNumberField("Score from", validators=[Optional()])
    score_high = WholeNumberField("to", validators=[Optional()])
    answer_of = StringField("When the answer of", validators=[Optional(), Length(max=40)])
    answer_in = TextAreaField("is one of (one per line)", validators=[Optional()])

    def blank(self) -> bool:
        return not (self.id.data or "").strip() and not (self.prompt.data or "").strip()


class UrlRuleForm(Form):
    match = SelectField(
        "Match",
        choices=[SelectChoice(m, m.replace("_", " ")) for m in URL_MATCHES],
        default="contains",
    )
    value = StringField("URL text", validators=[Optional(), Length(max=500)])


class SurveyForm(FlaskForm):
    kind = SelectField("Kind", choices=[SelectChoice(k, v.title) for k, v in KINDS.items()])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    question = StringField("Question", validators=[DataRequired(), Length(max=500)])
    style = SelectField("Scale style", choices=_choices(STYLES))
    label_low = StringField("Label of the lowest score", validators=[Optional(), Length(max=100)])
    label_high = StringField("Label of the highest score", validators=[Optional(), Length(max=100)])
    followups = FieldList(FormField(FollowupForm), min_entries=FOLLOWUP_ROWS)
    urls = FieldList(FormField(UrlRuleForm), min_entries=URL_ROWS)
    events = TextAreaField("Show on these events (one per line)", validators=[Optional()])
    sample_rate = WholeNumberField(
        "Sample (% of people)", default=100, validators=[Optional(), NumberRange(0, 100)]
    )
    delay_seconds = WholeNumberField("Delay (seconds)", default=0, validators=[Optional()])
    recontact = SelectField(
        "Ask again",
        choices=[
            SelectChoice("once", "once: never again after it was shown"),
            SelectChoice("until_answered", "until answered"),
            SelectChoice("every", "every N days"),
        ],
        default="once",
    )
    recontact_days = WholeNumberField("N days", validators=[Optional()])
    channels = Checkboxes("Channels", choices=_choices(CHANNELS))
    accent = StringField("Accent colour", default="#4f46e5", validators=[Optional()])
    theme = SelectField("Card theme", choices=_choices(THEMES), default="light")
    status = SelectField("Status", choices=_choices(STATUSES), default="draft")
    cases = SelectField(
        "Open a case for low scores",
        choices=[SelectChoice("yes", "yes"), SelectChoice("no", "no")],
        default="yes",
    )
    at_or_below = WholeNumberField("for a score at or below", validators=[Optional()])
    resurvey_days = WholeNumberField("Re-survey after (days)", validators=[Optional()])

    def payload(self) -> tuple[dict[str, Any], list[int]]:
        """The definition to validate, and which form row each follow-up came from."""
        followups, rows = [], []
        for i, entry in enumerate(self.followups.entries):
            row: FollowupForm = entry.form
            if row.blank():
                continue
            item: dict[str, Any] = {
                "id": (row.id.data or "").strip(),
                "type": row.type.data,
                "prompt": row.prompt.data or "",
            }
            if row.type.data != "text" or lines(row.options.data):
                item["options"] = lines(row.options.data)
            when: dict[str, Any] = {}
            if row.score_low.data is not None or row.score_high.data is not None:
                when["score"] = [row.score_low.data, row.score_high.data]
            if (row.answer_of.data or "").strip():
                when["answer"] = {
                    "followup": row.answer_of.data.strip(),
                    "in": lines(row.answer_in.data),
                }
            if when:
                item["when"] = when
            followups.append(item)
            rows.append(i)
        targeting: dict[str, Any] = {
            "urls": [
                {"match": e.form.match.data, "value": e.form.value.data}
                for e in self.urls.entries
                if (e.form.value.data or "").strip()
            ],
            "events": lines(self.events.data),
            "sample_rate": (100 if self.sample_rate.data is None else self.sample_rate.data) / 100,
            "delay_seconds": self.delay_seconds.data or 0,
            "recontact": self.recontact.data,
        }
        if self.recontact.data == "every" or self.recontact_days.data is not None:
            targeting["recontact_days"] = self.recontact_days.data
        labels = {
            end: value
            for end, value in (("low", self.label_low.data), ("high", self.label_high.data))
            if (value or "").strip()
        }
        payload = {
            "kind": self.kind.data,
            "name": self.name.data,
            "question": self.question.data,
            "scale": {"style": self.style.data, "labels": labels},
            "followups": followups,
            "targeting": targeting,
            "channels": list(self.channels.data or []),
            "branding": {"accent": (self.accent.data or "").strip(), "theme": self.theme.data},
            "status": self.status.data,
            "loop": self.loop(),
        }
        if not payload["branding"]["accent"]:
            del payload["branding"]["accent"]
        return payload, rows

    def loop(self) -> dict[str, Any]:
        """Closing the loop; an empty threshold or wait keeps the kind's default."""
        loop: dict[str, Any] = {"cases": self.cases.data != "no"}
        if self.at_or_below.data is not None:
            loop["at_or_below"] = self.at_or_below.data
        if self.resurvey_days.data is not None:
            loop["resurvey_days"] = self.resurvey_days.data
        return loop


def form_data(definition: dict[str, Any]) -> dict[str, Any]:
    """Form field values from a survey definition (a saved survey or a kind's defaults)."""
    scale = definition.get("scale") or {}
    labels = scale.get("labels") or {}
    targeting = definition.get("targeting") or {}
    branding = definition.get("branding") or {}
    loop = definition.get("loop") or {}
    followups = []
    for f in definition.get("followups") or []:
        when = f.get("when") or {}
        score = when.get("score") or [None, None]
        answer = when.get("answer") or {}
        followups.append(
            {
                "id": f["id"],
                "type": f.get("type", "text"),
                "prompt": f.get("prompt", ""),
                "options": "\n".join(f.get("options") or []),
                "score_low": score[0],
                "score_high": score[1],
                "answer_of": answer.get("followup", ""),
                "answer_in": "\n".join(answer.get("in") or []),
            }
        )
    rate = targeting.get("sample_rate")
    return {
        "kind": definition["kind"],
        "name": definition.get("name", KINDS[definition["kind"]].title),
        "question": definition.get("question", ""),
        "style": scale.get("style"),
        "label_low": labels.get("low", ""),
        "label_high": labels.get("high", ""),
        "followups": followups,
        "urls": targeting.get("urls") or [],
        "events": "\n".join(targeting.get("events") or []),
        "sample_rate": 100 if rate is None else round(rate * 100),
        "delay_seconds": targeting.get("delay_seconds", 0),
        "recontact": targeting.get("recontact", "once"),
        "recontact_days": targeting.get("recontact_days"),
        "channels": definition.get("channels") or list(CHANNELS),
        "accent": branding.get("accent", "#4f46e5"),
        "theme": branding.get("theme", "light"),
        "status": definition.get("status", "draft"),
        "cases": "yes" if loop.get("cases", True) else "no",
        "at_or_below": loop.get("at_or_below"),
        "resurvey_days": loop.get("resurvey_days"),
    }


def survey_definition(survey: Survey) -> dict[str, Any]:
    return {
        "kind": survey.kind,
        "name": survey.name,
        "question": survey.question,
        "scale": survey.scale,
        "followups": survey.followups,
        "targeting": survey.targeting,
        "channels": survey.channels,
        "branding": survey.branding,
        "loop": survey.loop,
        "status": survey.status,
    }


def build_form(data: dict[str, Any] | None) -> SurveyForm:
    """The form, filled from `data` on GET (posted data wins), with room for more follow-ups."""
    form = SurveyForm(data=data) if data is not None else SurveyForm()
    used = sum(1 for entry in form.followups.entries if not entry.form.blank())
    rows = min(MAX_FOLLOWUPS, max(FOLLOWUP_ROWS, used + 1))
    while len(form.followups.entries) < rows:
        form.followups.append_entry()
    while len(form.urls.entries) < URL_ROWS:
        form.urls.append_entry()
    return form


_PATH = re.compile(r"^(followups|targeting\.urls)\[(\d+)\]\.?(.*)$")
_FOLLOWUP_FIELDS = {
    "id": "id",
    "type": "type",
    "prompt": "prompt",
    "options": "options",
    "when.score": "score_high",
    "when.answer.followup": "answer_of",
    "when.answer.in": "answer_in",
    "when.answer": "answer_of",
    "when": "score_low",
}
_TOP_FIELDS = {
    "kind": "kind",
    "name": "name",
    "question": "question",
    "scale": "style",
    "scale.style": "style",
    "scale.labels.low": "label_low",
    "scale.labels.high": "label_high",
    "channels": "channels",
    "status": "status",
    "branding.accent": "accent",
    "branding.theme": "theme",
    "targeting.events": "events",
    "targeting.sample_rate": "sample_rate",
    "targeting.delay_seconds": "delay_seconds",
    "targeting.recontact": "recontact",
    "targeting.recontact_days": "recontact_days",
    "loop": "cases",
    "loop.cases": "cases",
    "loop.at_or_below": "at_or_below",
    "loop.resurvey_days": "resurvey_days",
}


def field_for(form: SurveyForm, path: str | None, rows: list[int]) -> Field | None:
    """The form field a validation error's path names, or None to show it above the form."""
    if not path:
        return None
    match = _PATH.match(path)
    if match:
        group, index, rest = match.group(1), int(match.group(2)), match.group(3)
        if group == "followups":
            if index >= len(rows):
                return None
            row = form.followups.entries[rows[index]].form
            rest = re.sub(r"\[\d+\]$", "", rest)
            return getattr(row, _FOLLOWUP_FIELDS.get(rest, "prompt"))
        rules = [e for e in form.urls.entries if (e.form.value.data or "").strip()]
        if index < len(rules):
            return rules[index].form.match if rest == "match" else rules[index].form.value
        return None
    path = re.sub(r"\[\d+\]$", "", path)
    name = _TOP_FIELDS.get(path)
    return getattr(form, name) if name else None


def keep_unshown(payload: dict[str, Any], survey: Survey) -> dict[str, Any]:
    """Carry over what the form has no field for (trait targeting, product name, text limits),
    so saving in the dashboard never drops what was set through the API."""
    if survey.targeting.get("traits"):
        payload["targeting"]["traits"] = survey.targeting["traits"]
    if survey.branding.get("product_name"):
        payload["branding"]["product_name"] = survey.branding["product_name"]
    saved = {f["id"]: f for f in survey.followups}
    for followup in payload["followups"]:
        before = saved.get(followup["id"])
        if before is not None and followup["type"] == "text" == before.get("type"):
            for key in ("max_length", "placeholder"):
                if key in before:
                    followup[key] = before[key]
    return payload
