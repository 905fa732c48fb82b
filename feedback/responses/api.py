"""Responses and respondents over the management API: list, read, export and erase; a
respondent's churn and renewal events."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy import select

from feedback.audit import log as audit
from feedback.database import owned_by
from feedback.downloads import csv_attachment
from feedback.email import erasure
from feedback.errors import NotFound, whole_number
from feedback.extensions import db
from feedback.metrics import filters
from feedback.responses import events, queries, respondents
from feedback.responses.models import Response as SurveyResponse
from feedback.themes.states import analysis_state
from feedback.web.api import json_body, require_key

bp = Blueprint("responses_api", __name__, url_prefix="/api/v1")


def _limit() -> int:
    maximum = current_app.config["FEEDBACK_PAGE_SIZE_MAX"]
    return whole_number(request.args.get("limit", "50"), "limit", 1, maximum)


@bp.get("/responses")
@require_key("read")
def response_list() -> Any:
    query = filters.parse_query(g.workspace, request.args)
    rows, cursor = queries.list_responses(g.workspace, query, request.args.get("cursor"), _limit())
    data = [{**r.to_dict(), **analysis_state(r)} for r in rows]
    return jsonify({"data": data, "next_cursor": cursor})


@bp.get("/responses/<int:response_id>")
@require_key("read")
def response_get(response_id: int) -> Any:
    row = db.session.scalar(
        select(SurveyResponse).where(
            owned_by(SurveyResponse, g.workspace.id), SurveyResponse.id == response_id
        )
    )
    if row is None:
        raise NotFound(f"No response {response_id}.", "id")
    return jsonify({**row.to_dict(), **analysis_state(row)})


@bp.get("/responses.csv")
@require_key("read")
def response_export() -> Response:
    query = filters.parse_query(g.workspace, request.args)
    audit.downloaded(g.workspace.id, "responses.csv", request.args)
    return csv_attachment(queries.export_csv(g.workspace, query), "responses.csv")


@bp.get("/respondents/<path:external_id>")
@require_key("read")
def respondent_export(external_id: str) -> Any:
    return jsonify(respondents.export_respondent(g.workspace, external_id))


@bp.delete("/respondents/<path:external_id>")
@require_key("write")
def respondent_erase(external_id: str) -> Any:
    erased = erasure.erase_respondent(g.workspace, external_id)
    return jsonify({"erased": erased})


@bp.post("/respondents/<path:external_id>/events")
@require_key("write")
def respondent_event(external_id: str) -> Any:
    """Note that a respondent's account churned or renewed: `{"event", "at"}`."""
    return jsonify(events.record_event(g.workspace, external_id, json_body())), 201
