"""Form pieces every dashboard form shares (WTForms through Flask-WTF, with its CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
)

from feedback.errors import ascii_whole


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
