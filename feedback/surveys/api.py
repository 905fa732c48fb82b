"""Surveys over the management API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify

from feedback.surveys import service as surveys
from feedback.web.api import json_body, require_key

bp = Blueprint("surveys_api", __name__, url_prefix="/api/v1")


@bp.get("/surveys")
@require_key("read")
def survey_list() -> Any:
    return jsonify({"data": [s.to_dict() for s in surveys.list_surveys(g.workspace)]})


@bp.post("/surveys")
@require_key("write")
def survey_create() -> Any:
    survey = surveys.create_survey(g.workspace, json_body())
    return jsonify(survey.to_dict()), 201


@bp.get("/surveys/<survey_id>")
@require_key("read")
def survey_get(survey_id: str) -> Any:
    return jsonify(surveys.get_survey(g.workspace, survey_id).to_dict())


@bp.patch("/surveys/<survey_id>")
@require_key("write")
def survey_update(survey_id: str) -> Any:
    survey = surveys.update_survey(surveys.get_survey(g.workspace, survey_id), json_body())
    return jsonify(survey.to_dict())


@bp.delete("/surveys/<survey_id>")
@require_key("write")
def survey_delete(survey_id: str) -> Any:
    surveys.delete_survey(surveys.get_survey(g.workspace, survey_id))
    return "", 204
