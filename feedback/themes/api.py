"""Themes, tags and models over the management API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select

from feedback.database import owned_by
from feedback.errors import Invalid, object_of
from feedback.extensions import db
from feedback.metrics import filters
from feedback.themes import analysis, editing, training
from feedback.themes import report as theme_report
from feedback.themes import taxonomy as themes
from feedback.themes.models import NlpModel
from feedback.web.api import json_body, require_key

bp = Blueprint("themes_api", __name__, url_prefix="/api/v1")


def _who() -> str:
    return f"api key {g.api_key.name}"


def _reanalysis(edited: editing.Edited) -> dict[str, Any]:
    return {"reanalysis": {"total": edited.run.total}}


@bp.get("/themes")
@require_key("read")
def theme_list() -> Any:
    return jsonify({"data": [t.to_dict() for t in themes.list_themes(g.workspace)]})


@bp.post("/themes")
@require_key("write")
def theme_create() -> Any:
    edited = editing.add(g.workspace, json_body())
    return jsonify({**edited.theme.to_dict(), **_reanalysis(edited)}), 201


@bp.patch("/themes/<slug>")
@require_key("write")
def theme_update(slug: str) -> Any:
    edited = editing.change(g.workspace, slug, json_body())
    return jsonify({**edited.theme.to_dict(), **_reanalysis(edited)})


@bp.post("/themes/<slug>/merge")
@require_key("write")
def theme_merge(slug: str) -> Any:
    target = object_of(json_body(), ("into",)).get("into")
    if not isinstance(target, str):
        raise Invalid("Name the theme to merge into.", "into")
    edited = editing.merge(g.workspace, slug, target)
    return jsonify({**edited.theme.to_dict(), **_reanalysis(edited)})


@bp.delete("/themes/<slug>")
@require_key("write")
def theme_delete(slug: str) -> Any:
    editing.delete(g.workspace, slug)
    return "", 204


@bp.get("/themes/summary")
@require_key("read")
def theme_summary() -> Any:
    query = filters.parse_query(g.workspace, request.args)
    summary = theme_report.query_summary(g.workspace, query)
    return jsonify({"period": query.period.to_dict(), **summary})


@bp.get("/themes/candidates")
@require_key("read")
def theme_candidates() -> Any:
    """Topics of uncovered comments that grew significantly against the periods before."""
    args = {"period": "last_30_days", **request.args.to_dict()}
    min_count = _min_count(args.pop("min_count", None))
    query = filters.parse_query(g.workspace, args)
    found = theme_report.discover(g.workspace, query, min_count=min_count)
    before = theme_report.baseline(query.period, g.workspace.timezone)
    return jsonify(
        {
            "period": query.period.to_dict(),
            "baseline": before.to_dict() if before else None,
            "data": [c.to_dict() for c in found],
        }
    )


def _min_count(value: str | None) -> int | None:
    if value is None:
        return None
    # Plain ASCII digits, few of them: str.isdigit takes "²", and int() refuses 5,000 digits.
    if not (value.isascii() and value.isdigit() and len(value) <= 4) or not 2 <= int(value) <= 1000:
        raise Invalid("min_count must be a whole number from 2 to 1000.", "min_count")
    return int(value)


@bp.get("/responses/<int:response_id>/analysis")
@require_key("read")
def response_analysis(response_id: int) -> Any:
    return jsonify(themes.response_analysis(g.workspace, response_id))


@bp.post("/responses/<int:response_id>/themes")
@require_key("write")
def response_tag(response_id: int) -> Any:
    payload = object_of(json_body(), ("theme", "sentiment"))
    if not isinstance(payload.get("theme"), str):
        raise Invalid("Name the theme to tag.", "theme")
    themes.tag_response(
        g.workspace, response_id, payload["theme"], payload.get("sentiment"), _who()
    )
    return jsonify(themes.response_analysis(g.workspace, response_id)), 201


@bp.delete("/responses/<int:response_id>/themes/<slug>")
@require_key("write")
def response_untag(response_id: int, slug: str) -> Any:
    themes.untag_response(g.workspace, response_id, slug, _who())
    return jsonify(themes.response_analysis(g.workspace, response_id))


@bp.get("/analysis")
@require_key("read")
def analysis_progress() -> Any:
    return jsonify(analysis.progress(g.workspace))


@bp.get("/models")
@require_key("read")
def model_status() -> Any:
    rows = db.session.scalars(
        select(NlpModel)
        .where(owned_by(NlpModel, g.workspace.id))
        .order_by(NlpModel.trained_at.desc())
    )
    return jsonify(
        {
            "labels": training.label_count(g.workspace),
            "min_labels": current_app.config["FEEDBACK_MIN_LABELS"],
            "data": [m.to_dict() for m in rows],
        }
    )


@bp.post("/models/train")
@require_key("write")
def model_train() -> Any:
    """Ask for training now; the worker runs it within minutes."""
    theme_report.request_training(g.workspace)
    return jsonify({"status": "queued"}), 202
