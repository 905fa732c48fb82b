"""Domain exceptions, the ids, whole numbers and objects a request may carry, and the one
handler that turns the exceptions into the JSON error shape."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class FeedbackError(Exception):
    """Base of every error a user can act on: carries its HTTP status and JSON code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


class Malformed(FeedbackError):
    status, code = 400, "malformed"


class Unauthorized(FeedbackError):
    status, code = 401, "unauthorized"


class Forbidden(FeedbackError):
    status, code = 403, "forbidden"


class NotFound(FeedbackError):
    status, code = 404, "not_found"


class Conflict(FeedbackError):
    status, code = 409, "conflict"


class TooLarge(FeedbackError):
    status, code = 413, "too_large"


class Invalid(FeedbackError):
    status, code = 422, "invalid"


# The largest id a row can have (PostgreSQL's integer): a bigger number names nothing.
MAX_ID = 2**31 - 1
# Digits 0-9 only: `str.isdigit` also passes "²", which `int` refuses, and `int` reads other
# scripts' digits ("٣" as 3) and " 1_0 " as 10. Eighteen digits at most, so a long run of
# them is out of range here rather than a failure (or a slow parse) in `int`.
_DIGITS = re.compile(r"0*([0-9]{1,18})")


def ascii_whole(text: str) -> int | None:
    """The whole number `text` spells in the digits 0-9 alone, or None."""
    match = _DIGITS.fullmatch(text)
    return int(match.group(1)) if match else None


def whole_number(value: Any, field: str, low: int = 0, high: int = MAX_ID) -> int:
    """A whole number from `low` to `high`: a JSON number, or the digits 0-9 of a path, a query
    or a form."""
    if isinstance(value, str):
        value = ascii_whole(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"Must be a whole number from {low} to {high}.", field)
    return value


def row_id(value: Any, field: str) -> int:
    """An id given in a body or a query: a whole number that could name a row."""
    try:
        return whole_number(value, field, 1, MAX_ID)
    except Invalid:
        raise Invalid("Must be an id: a whole number from 1.", field) from None


def object_of(payload: Any, keys: tuple[str, ...], field: str | None = None) -> dict[str, Any]:
    """A JSON object with no key but `keys`: a misspelt one ("scope" for "scopes") is named,
    not ignored while its default applies."""
    if not isinstance(payload, dict):
        raise Invalid(f"Send an object with any of: {', '.join(keys)}.", field)
    unknown = sorted(set(payload) - set(keys))
    if unknown:
        name = f"{field}.{unknown[0]}" if field else unknown[0]
        raise Invalid(f"Unknown field; use any of: {', '.join(keys)}.", name)
    return payload


def discard() -> None:
    """A refused call stores nothing: what it changed before the refusal is dropped, not left
    in the session for a later commit in the same app context to write."""
    from feedback.extensions import db

    db.session.rollback()


def _json_error(error: FeedbackError) -> tuple[Response, int]:
    discard()
    return jsonify(error.to_dict()), error.status


HTTP_CODES = {
    400: "malformed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


def _wants_json() -> bool:
    # The Delighted-compatible API's clients read JSON too, even for a path it does not have.
    return request.path.startswith(("/api/", "/delighted/")) or request.is_json


def _dashboard_page(exc: HTTPException) -> Response:
    """The dashboard's own page for an HTTP error, with a way back."""
    status = exc.code or 500
    message = exc.description or exc.name
    if isinstance(exc, CSRFError):
        message = (
            "This form has expired or did not come from this dashboard, so nothing was changed. "
            "Go back, reload the page and try again."
        )
    page = render_template(
        "web/error.html", title=exc.name, message=message, back=url_for("scorecard.home")
    )
    response = make_response(page, status)
    for key, value in exc.get_headers():  # Retry-After and the like
        if key.lower() not in {"content-type", "content-length"}:
            response.headers[key] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """JSON errors on the API, plain pages elsewhere."""
    app.register_error_handler(FeedbackError, _json_error)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if request.path.startswith("/app/") and not request.is_json:
            return _dashboard_page(exc)
        if not _wants_json():
            return exc
        status = exc.code or 500
        message = exc.description or exc.name
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            message = f"The request body is larger than the limit of {limit} bytes."
        body = {"error": {"code": HTTP_CODES.get(status, "error"), "message": message}}
        response = jsonify(body)
        response.status_code = status
        for key, value in exc.get_headers():
            if key.lower() not in {"content-type", "content-length"}:
                response.headers[key] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        app.logger.exception("unhandled error")
        # A failed statement leaves the transaction unusable; nothing more may run in it.
        from feedback.extensions import db

        db.session.rollback()
        if not _wants_json():
            return "Internal server error", 500
        body = {"error": {"code": "internal", "message": "Something went wrong on our side."}}
        return jsonify(body), 500
