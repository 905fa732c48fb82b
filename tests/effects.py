"""What a worker that is never behind does: apply stored responses' effects as requests end."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request_finished


def apply_effects(_app: Flask, response: Response, **_extra: Any) -> None:
    from feedback.responses import effects

    if response.is_streamed:
        return  # its body is still being read from the session's open transaction
    effects.apply_pending(limit=100_000)


def apply_effects_after_requests(flask_app: Flask) -> None:
    """Apply what stored responses cause (their cases, their webhook events) as each request
    ends, as a worker that is never behind would: a test reads the case its answer opened.
    Tests of the delay itself take `effects_later`."""
    request_finished.connect(apply_effects, flask_app)
