"""The public API: what the widget, the hosted page and email clicks call.

Authenticated by the workspace's public key (safe in a page) in the path, so a CORS
preflight already knows whose allow-list applies.
"""

from __future__ import annotations

import functools
import json
import math
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import TooManyRequests

from feedback.accounts import workspaces
from feedback.errors import Forbidden, NotFound
from feedback.extensions import limiter
from feedback.responses import recording as responses
from feedback.surveys.service import live_survey
from feedback.web import compression
from feedback.web.api import json_body
from feedback.web.hooks import PUBLIC_PREFIX
from feedback.widget import eligibility as eligibility_service
from feedback.widget import origins

bp = Blueprint("public_api", __name__, url_prefix=f"{PUBLIC_PREFIX}/<public_key>")

ALLOWED_METHODS = "GET, POST, PUT, OPTIONS"


# Counted with the limiter's own strategy and storage (memory, or Redis shared by every
# process), called directly: Flask-Limiter's per-request resolution of which limits apply
# cost this path more than the count itself, so its hooks skip this blueprint
# (feedback.web.hooks).
@functools.cache
def _limits(setting: str) -> list[RateLimitItem]:
    return parse_many(setting)


def _check_rate(public_key: str) -> None:
    # One count per visitor address and workspace: one busy tenant cannot starve another.
    visitor = f"{get_remote_address()}|{public_key}"
    for item in _limits(current_app.config["FEEDBACK_PUBLIC_RATE_LIMIT"]):
        if not limiter.limiter.hit(item, "public", visitor):
            reset = limiter.limiter.get_window_stats(item, "public", visitor).reset_time
            raise TooManyRequests(
                f"Too many calls from this visitor: {item}; try again shortly.",
                retry_after=max(1, math.ceil(reset - time.time())),
            )


@bp.url_value_preprocessor
def _load_workspace(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    public_key = (values or {}).pop("public_key", "")
    origin = request.headers.get("Origin")
    cross_site = bool(origin) and origin.rstrip("/") != request.host_url.rstrip("/")
    # Every answer, a refusal too, is readable by the page that asked, so the widget can say
    # why where the browser would only report a failed preflight. No call here carries a
    # cookie: the allow-list holds by refusing the call itself, before anything is stored.
    g.cors_origin = origin if cross_site else None
    if request.method == "OPTIONS":
        return  # the preflight; the call that follows is judged on its own
    _check_rate(public_key)
    workspace = workspaces.by_public_key(public_key)
    g.workspace = workspace
    if workspace is None:
        raise NotFound("Unknown public key.", "key", "unknown_key")
    development = current_app.config["FEEDBACK_ENV"] == "development"
    if cross_site and not origins.allows(workspace.allowed_origins or [], origin, development):
        raise Forbidden(
            f"The origin {origin} is not on this workspace's allow-list: add {origin} in "
            "Settings → Allowed origins (or PATCH /api/v1/workspace).",
            "origin",
            "origin_not_allowed",
        )


@bp.after_request
def _cors(response: Response) -> Response:
    origin = g.get("cors_origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    response.vary.add("Origin")
    response.headers["Cache-Control"] = "no-store"
    # The widget's first question waits on this answer: a survey with long follow-ups would
    # otherwise outgrow the 1 KB a host page is promised.
    return compression.compress_answer(response, lambda: request.accept_encodings)


@bp.get("/surveys/<survey_id>")
def survey_config(survey_id: str) -> Any:
    survey = live_survey(g.workspace, survey_id)
    return jsonify(survey.public_config())


@bp.post("/eligibility")
def eligibility() -> Any:
    """Whether this visit should show a survey; every "no" comes with its reason."""
    return jsonify(eligibility_service.check(g.workspace, json_body()))


@bp.put("/responses/<client_id>")
def put_response(client_id: str) -> Any:
    recorded = responses.record_response(g.workspace, client_id, json_body())
    return _response_body(recorded)


@bp.post("/responses")
def post_response() -> Any:
    """The same upsert with the id in the body: navigator.sendBeacon can only POST."""
    payload = json_body()
    client_id = payload.get("id") if isinstance(payload, dict) else None
    recorded = responses.record_response(g.workspace, client_id, payload)
    return _response_body(recorded)


def _response_body(recorded: responses.Recorded) -> Response:
    body = {
        "id": recorded.client_id,
        "score": recorded.score,
        "answers": recorded.answers,
        "created": recorded.created,
    }
    # Every recorded response answers this: plain JSON of plain values, without the app's
    # JSON provider, whose defaults this body never needs.
    return Response(
        json.dumps(body, separators=(",", ":")),
        201 if recorded.created else 200,
        mimetype="application/json",
    )


@bp.post("/displays/<client_id>")
def post_display(client_id: str) -> Any:
    display, created = responses.record_display(g.workspace, client_id, json_body())
    return jsonify({"id": display.client_id, "created": created}), 201 if created else 200


@bp.post("/displays/<client_id>/dismiss")
def dismiss(client_id: str) -> Any:
    display = responses.record_dismissal(g.workspace, client_id)
    return jsonify(
        {"id": display.client_id, "dismissed_at": display.dismissed_at.isoformat() + "Z"}
    )
