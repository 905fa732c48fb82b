"""KPI targets and outside KPI values over the management API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify

from feedback.scorecard import kpis, owners
from feedback.web.api import json_body, require_key

bp = Blueprint("kpis_api", __name__, url_prefix="/api/v1/kpis")


@bp.get("")
@require_key("read")
def kpi_list() -> Any:
    return jsonify(
        {
            "targets": [t.to_dict() for t in kpis.targets(g.workspace).values()],
            "values": list(kpis.latest_values(g.workspace).values()),
        }
    )


@bp.put("/targets/<metric>")
@require_key("write")
def target_set(metric: str) -> Any:
    key = g.api_key.name
    target = owners.set_target(
        g.workspace, metric, json_body(), f"api key {key}", f'the API key "{key}"'
    )
    return jsonify(target.to_dict())


@bp.post("/values")
@require_key("write")
def values_push() -> Any:
    stored = kpis.push_values(g.workspace, json_body())
    return jsonify({"stored": stored}), 201
