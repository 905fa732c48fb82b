"""Requests whose body may be larger than the app's limit: the routes that take a file."""

from __future__ import annotations

from flask import Request as FlaskRequest
from flask import current_app

# Endpoint -> the setting that holds its limit in bytes.
LARGE_BODIES = {"imports.upload": "FEEDBACK_MAX_IMPORT_BYTES"}


class Request(FlaskRequest):
    """The app's request: MAX_CONTENT_LENGTH everywhere but on the upload routes, whose
    endpoint is known before any hook (the CSRF check among them) reads the body."""

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        setting = LARGE_BODIES.get(self.endpoint or "")
        if setting is not None:
            return int(current_app.config[setting])
        return super().max_content_length
