"""Email invites by API: one or many as JSON, or a CSV upload; and what became of them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from feedback.email import invites
from feedback.email.models import EmailInvite
from feedback.errors import Invalid, Malformed, whole_number
from feedback.web.api import json_body, require_key

bp = Blueprint("invites_api", __name__, url_prefix="/api/v1")


def _created(made: list[EmailInvite]) -> Any:
    body = {
        "data": [i.to_dict() for i in made],
        "scheduled": sum(1 for i in made if i.status == "scheduled"),
        "suppressed": sum(1 for i in made if i.status == "suppressed"),
    }
    return jsonify(body), 201


@bp.post("/invites")
@require_key("write")
def invite_create() -> Any:
    survey_id, scheduled_at, people = invites.parse_request(json_body())
    return _created(invites.create_invites(g.workspace, survey_id, people, scheduled_at))


@bp.post("/invites.csv")
@require_key("write")
def invite_upload() -> Any:
    """A CSV as the body (or as the `file` field of a form); survey and time in the query."""
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Malformed("The CSV is not valid UTF-8.", "file") from exc
    survey_id = request.args.get("survey")
    if not survey_id:
        raise Invalid("Name the survey as ?survey=<id>.", "survey")
    scheduled_at = invites.parse_time(request.args.get("scheduled_at"), "scheduled_at")
    people = invites.parse_csv(text)
    return _created(invites.create_invites(g.workspace, survey_id, people, scheduled_at))


@bp.get("/invites")
@require_key("read")
def invite_list() -> Any:
    status = request.args.get("status")
    maximum = current_app.config["FEEDBACK_PAGE_SIZE_MAX"]
    limit = whole_number(request.args.get("limit", "100"), "limit", 1, maximum)
    found = invites.list_invites(g.workspace, status, limit)
    return jsonify({"data": [i.to_dict() for i in found]})
