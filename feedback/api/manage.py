"""The management API: surveys, responses, respondents, keys and metrics, by secret key."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy import select

from feedback.api.common import json_body, require_key
from feedback.downloads import csv_attachment
from feedback.errors import NotFound, object_of, whole_number
from feedback.extensions import db
from feedback.models import Response as SurveyResponse
from feedback.services import identity, queries, respondents, surveys, workspaces
from feedback.services.reports import loop_report, metric_report
from feedback.services.settings import update_workspace

bp = Blueprint("manage_api", __name__, url_prefix="/api/v1")


@bp.get("/workspace")
@require_key("read")
def workspace_info() -> Any:
    return jsonify(g.workspace.to_dict())


@bp.patch("/workspace")
@require_key("write")
def workspace_update() -> Any:
    update_workspace(g.workspace, json_body())
    db.session.commit()
    return jsonify(g.workspace.to_dict())


@bp.post("/workspace/identity-secret")
@require_key("write")
def identity_secret_rotate() -> Any:
    """A new identity secret, shown this once; user hashes made with the old one stop working."""
    secret = identity.rotate_identity_secret(g.workspace)
    return jsonify({"identity_secret": secret})


@bp.get("/surveys")
@require_key("read")
def survey_list() -> Any:
    return jsonify({"data": [s.to_dict() for s in surveys.list_surveys(g.workspace)]})


@bp.post("/surveys")
@require_key("write")
def survey_create() -> Any:
    survey = surveys.create_survey(g.workspace, json_body())
    db.session.commit()
    return jsonify(survey.to_dict()), 201


@bp.get("/surveys/<survey_id>")
@require_key("read")
def survey_get(survey_id: str) -> Any:
    return jsonify(surveys.get_survey(g.workspace, survey_id).to_dict())


@bp.patch("/surveys/<survey_id>")
@require_key("write")
def survey_update(survey_id: str) -> Any:
    survey = surveys.update_survey(surveys.get_survey(g.workspace, survey_id), json_body())
    db.session.commit()
    return jsonify(survey.to_dict())


@bp.delete("/surveys/<survey_id>")
@require_key("write")
def survey_delete(survey_id: str) -> Any:
    surveys.delete_survey(surveys.get_survey(g.workspace, survey_id))
    db.session.commit()
    return "", 204


def _limit() -> int:
    maximum = current_app.config["FEEDBACK_PAGE_SIZE_MAX"]
    return whole_number(request.args.get("limit", "50"), "limit", 1, maximum)


@bp.get("/responses")
@require_key("read")
def response_list() -> Any:
    query = queries.parse_query(g.workspace, request.args)
    rows, cursor = queries.list_responses(g.workspace, query, request.args.get("cursor"), _limit())
    return jsonify({"data": [r.to_dict() for r in rows], "next_cursor": cursor})


@bp.get("/responses/<int:response_id>")
@require_key("read")
def response_get(response_id: int) -> Any:
    row = db.session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.workspace_id == g.workspace.id, SurveyResponse.id == response_id
        )
    )
    if row is None:
        raise NotFound(f"No response {response_id}.", "id")
    return jsonify(row.to_dict())


@bp.get("/responses.csv")
@require_key("read")
def response_export() -> Response:
    query = queries.parse_query(g.workspace, request.args)
    return csv_attachment(queries.export_csv(g.workspace, query), "responses.csv")


@bp.get("/respondents/<path:external_id>")
@require_key("read")
def respondent_export(external_id: str) -> Any:
    return jsonify(respondents.export_respondent(g.workspace, external_id))


@bp.delete("/respondents/<path:external_id>")
@require_key("write")
def respondent_erase(external_id: str) -> Any:
    erased = respondents.erase_respondent(g.workspace, external_id)
    db.session.commit()
    return jsonify({"erased": erased})


@bp.get("/api-keys")
@require_key("read")
def key_list() -> Any:
    return jsonify({"data": [k.to_dict() for k in workspaces.list_api_keys(g.workspace)]})


@bp.post("/api-keys")
@require_key("write")
def key_create() -> Any:
    payload = object_of(json_body(), ("name", "scopes"))
    issued = workspaces.create_api_key(g.workspace, payload.get("name"), payload.get("scopes"))
    db.session.commit()
    return jsonify({**issued.key.to_dict(), "secret": issued.secret}), 201


@bp.delete("/api-keys/<int:key_id>")
@require_key("write")
def key_revoke(key_id: int) -> Any:
    workspaces.revoke_api_key(g.workspace, key_id)
    db.session.commit()
    return "", 204


@bp.get("/metrics/loop")
@require_key("read")
def loop_metrics() -> Any:
    """Closed-loop rate, time to first action and to resolution, recovered rate:
    ?period=... (or from/to) and group_by=team|owner."""
    return jsonify(loop_report(g.workspace, request.args))


@bp.get("/metrics/<kind>")
@require_key("read")
def metric(kind: str) -> Any:
    return jsonify(metric_report(g.workspace, kind, request.args))
