"""Forms of the case pages and the case rules (each with its CSRF token).

Choices that depend on the workspace (members, themes, surveys) are set by the view; the
services decide what is valid, and their errors are put back next to the field they name.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from feedback.cases.models import RESOLUTIONS
from feedback.cases.rules import KINDS
from feedback.cases.work import MAX_NOTE, SETTABLE
from feedback.web.forms import WholeNumberField, whole

STATUS_NAMES = {
    "open": "Open",
    "in_progress": "In progress",
    "waiting": "Waiting on customer",
    "resolved": "Resolved",
    "wont_fix": "Won't fix",
    "merged": "Merged",
}
RESOLUTION_NAMES = {
    "fixed": "Fixed",
    "explained": "Explained",
    "refunded": "Refunded",
    "feature_request": "Feature request",
    "bug_reported": "Bug reported",
    "no_response": "No response",
    "other": "Other",
    "recovered": "Recovered",
}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NoteForm(FlaskForm):
    body = TextAreaField("Internal note", validators=[DataRequired(), Length(max=MAX_NOTE)])


class ReplyForm(FlaskForm):
    body = TextAreaField("Reply by email", validators=[DataRequired(), Length(max=MAX_NOTE)])


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=[SelectChoice(s, STATUS_NAMES[s]) for s in SETTABLE])
    resolution = SelectField(
        "Resolution",
        choices=[
            SelectChoice("", "–"),
            *(SelectChoice(r, RESOLUTION_NAMES[r]) for r in RESOLUTIONS),
        ],
        default="",
    )
    root_cause = SelectField("Root cause", default="")

    def payload(self) -> dict[str, Any]:
        return {
            "status": self.status.data,
            "resolution": self.resolution.data or None,
            "root_cause": self.root_cause.data or None,
        }


class OwnerForm(FlaskForm):
    owner = SelectField("Owner", coerce=whole, validators=[InputRequired()])


class MergeForm(FlaskForm):
    # Any case id: the service checks it is another case of the same respondent.
    other = SelectField(
        "Merge this other case into it",
        coerce=whole,
        validate_choice=False,
        validators=[InputRequired()],
    )


class BulkAssignForm(FlaskForm):
    # The ids are checked by the service: every one must be a case of this workspace.
    cases = SelectMultipleField("Cases", coerce=whole, validate_choice=False)
    owner = SelectField("Assign to", coerce=whole, validators=[InputRequired()])


def _values(text: str | None) -> str | list[str] | None:
    """ "Billing, Support" -> ["Billing", "Support"]; one value stays a string."""
    items = [v.strip() for v in (text or "").split(",") if v.strip()]
    if not items:
        return None
    return items[0] if len(items) == 1 else items


def _text(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else (value or "")


class RuleForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    # Empty: the condition is not used (a browser sends "", a script may leave it out).
    survey = SelectField("Survey", default="")
    kind = SelectField(
        "Kind",
        choices=[SelectChoice("", "any"), *(SelectChoice(k, k.upper()) for k in KINDS)],
        default="",
    )
    theme = SelectField("Comment complains about", default="")
    team = StringField("Team", validators=[Optional(), Length(max=1000)])
    agent = StringField("Agent", validators=[Optional(), Length(max=1000)])
    plan = StringField("Plan", validators=[Optional(), Length(max=1000)])
    segment_field = StringField("Trait", validators=[Optional(), Length(max=200)])
    segment_value = StringField("has the value", validators=[Optional(), Length(max=1000)])
    owner = SelectField("Owner", coerce=whole, validators=[InputRequired()])
    enabled = BooleanField("Enabled", default=True)

    def payload(self) -> dict[str, Any]:
        conditions: dict[str, Any] = {}
        for name in ("survey", "kind", "theme"):
            if getattr(self, name).data:
                conditions[name] = getattr(self, name).data
        for name in ("team", "agent", "plan"):
            value = _values(getattr(self, name).data)
            if value is not None:
                conditions[name] = value
        trait, value = (self.segment_field.data or "").strip(), _values(self.segment_value.data)
        if trait or value is not None:
            conditions["segment"] = {"field": trait, "value": value or ""}
        return {
            "name": self.name.data,
            "conditions": conditions,
            "owner": self.owner.data,
            "enabled": bool(self.enabled.data),
        }

    @staticmethod
    def data_from(rule: Any) -> dict[str, Any]:
        """Field values from a saved rule."""
        c = rule.conditions or {}
        segment = c.get("segment") or {}
        return {
            "name": rule.name,
            "survey": c.get("survey") if isinstance(c.get("survey"), str) else None,
            "kind": c.get("kind") if isinstance(c.get("kind"), str) else None,
            "theme": c.get("theme") if isinstance(c.get("theme"), str) else None,
            "team": _text(c.get("team")),
            "agent": _text(c.get("agent")),
            "plan": _text(c.get("plan")),
            "segment_field": segment.get("field", ""),
            "segment_value": _text(segment.get("value")),
            "owner": rule.owner_id,
            "enabled": rule.enabled,
        }


# Where a rule error's field (e.g. "conditions.segment.field") is shown on the form.
RULE_FIELDS = {
    "name": "name",
    "owner": "owner",
    "enabled": "enabled",
    "conditions": "name",
    "conditions.survey": "survey",
    "conditions.kind": "kind",
    "conditions.theme": "theme",
    "conditions.team": "team",
    "conditions.agent": "agent",
    "conditions.plan": "plan",
    "conditions.segment": "segment_field",
    "conditions.segment.field": "segment_field",
    "conditions.segment.value": "segment_value",
}


class HandlersForm(FlaskForm):
    handlers = Checkboxes("Case handlers", coerce=whole, validate_choice=False)


class SlaForm(FlaskForm):
    sla_hours = WholeNumberField(
        "Due within (hours)", validators=[InputRequired(), NumberRange(1, 2000)]
    )
    day_start = WholeNumberField(
        "Day starts (hour)", validators=[InputRequired(), NumberRange(0, 23)]
    )
    day_end = WholeNumberField("Day ends (hour)", validators=[InputRequired(), NumberRange(1, 24)])
    workdays = Checkboxes(
        "Business days",
        coerce=whole,
        choices=[SelectChoice(i + 1, day) for i, day in enumerate(WEEKDAYS)],
    )
    resolve_on_recovery = BooleanField(
        "Resolve a case as recovered when its respondent changes their score out of the low band"
    )

    def payload(self) -> dict[str, Any]:
        return {
            "sla_hours": self.sla_hours.data,
            "day_start": self.day_start.data,
            "day_end": self.day_end.data,
            "workdays": list(self.workdays.data or []),
            "resolve_on_recovery": bool(self.resolve_on_recovery.data),
        }
