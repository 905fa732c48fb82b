"""The form of a KPI's target: the figure, which way is better, the "at risk" margin, the
member who owns it and the perspective it sits in."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import FloatField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from feedback.metrics.models import PERSPECTIVE_NAMES, PERSPECTIVES
from feedback.scorecard.kpis import figure
from feedback.web.forms import whole

# A plain decimal in the digits 0-9: float() would also take "nan", "inf" and "1e999".
_DECIMAL = re.compile(r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$")
# The owner a target keeps when the API named one who is not a member.
KEEP = "keep"


class DecimalNumberField(FloatField):
    """A number such as 40, -12.5 or 0.75, in the digits 0-9 alone."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = (valuelist[0] or "").strip()
        if not text:
            self.data = None
            return
        if not _DECIMAL.fullmatch(text):
            self.data = None
            raise ValueError("Enter a number such as 40 or 12.5.")
        self.data = float(text)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else figure(self.data)


def _owner(value: Any) -> int | str | None:
    """`coerce=` of the owner: a member's id, nobody (""), or the API's text kept."""
    if value in (None, ""):
        return None
    if value == KEEP:
        return KEEP
    return whole(value)


class TargetForm(FlaskForm):
    target = DecimalNumberField("Target", validators=[InputRequired()])
    higher_is_better = SelectField(
        "Better when",
        choices=[SelectChoice("1", "Higher"), SelectChoice("0", "Lower")],
        validators=[InputRequired()],
    )
    at_risk = DecimalNumberField("At risk within", validators=[Optional()])
    # Not checked against the choices here: the use case refuses anyone who is not a member,
    # with its message on this field.
    owner_id = SelectField("Owner", coerce=_owner, validate_choice=False)
    perspective = SelectField(
        "Perspective",
        choices=[SelectChoice(key, PERSPECTIVE_NAMES.get(key, key)) for key in PERSPECTIVES],
        validators=[InputRequired()],
    )

    def payload(self, kept_owner: str | None) -> dict[str, Any]:
        owner = self.owner_id.data
        return {
            "target": self.target.data,
            "higher_is_better": self.higher_is_better.data == "1",
            "at_risk": self.at_risk.data,
            "owner_id": owner if isinstance(owner, int) else None,
            "owner": kept_owner if owner == KEEP else None,
            "perspective": self.perspective.data,
        }
