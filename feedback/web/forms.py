"""Form pieces every dashboard form shares (WTForms through Flask-WTF, with its CSRF token),
and the two ways a page shows a use case's refusal: on the form's field, or flashed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, flash
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    IntegerField,
)

from feedback.errors import FeedbackError, NotFound, ascii_whole

T = TypeVar("T")
# A refusal names its field as the API does ("phrases[2]", "conditions.theme"): the form's
# field is the name before the first "[" or ".".
_SUB_PATH = re.compile(r"[.\[]")


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


@dataclass(frozen=True)
class Refusal:
    """What a use case refused, as `attempt` keeps it on the form. Not the exception itself:
    its traceback would keep every object of the refused call alive after the request."""

    message: str
    field: str | None
    status: int


def _field(
    form: Any, path: str | None, default: str | None, where: Callable[[str | None], Any] | None
) -> Field | None:
    if where is not None:
        field = where(path)
        if field is not None:
            return field
    else:
        name = _SUB_PATH.split(path or "", maxsplit=1)[0]
        if name and name in form:
            return form[name]
    return form[default] if default else None


def attempt(
    form: Any,
    action: Callable[[], T],
    default: str | None = None,
    *,
    where: Callable[[str | None], Any] | None = None,
    abort_missing: bool = False,
) -> T | None:
    """Run the use case a submitted form asks for: what it returns, or None when it refuses.

    The use case has rolled its work back; here its message goes on the field the refusal
    names (`where` finds it when the form calls it otherwise), else on `default`, else above
    the form (`form.form_errors`), and the view shows the form again with 422. The refusal
    stays on `form.refusal`. With `abort_missing`, a NotFound is the page's 404 instead.
    """
    form.refusal = None
    try:
        return action()
    except FeedbackError as exc:
        if abort_missing and isinstance(exc, NotFound):
            abort(404)
        form.refusal = Refusal(exc.message, exc.field, exc.status)
        field = _field(form, exc.field, default, where)
        if field is None:
            form.form_errors.append(exc.message)
        else:
            field.errors = [*field.errors, exc.message]
        return None


def flashed(
    action: Callable[[], T],
    done: str | Callable[[T], str] | None = None,
    *,
    with_field: bool = False,
    abort_missing: bool = False,
) -> T | None:
    """Run the use case behind a button, or a read a page's filters ask for: what it returns,
    or None when it refuses, with its message flashed as an error (naming its field when
    `with_field`) for the page the view redirects to. On success `done`, a message or one
    made from the result, is flashed. With `abort_missing`, a NotFound is the page's 404.
    """
    try:
        result = action()
    except FeedbackError as exc:
        if abort_missing and isinstance(exc, NotFound):
            abort(404)
        named = with_field and exc.field
        flash(f"{exc.message} ({exc.field})" if named else exc.message, "error")
        return None
    if done is not None:
        flash(done if isinstance(done, str) else done(result), "ok")
    return result
