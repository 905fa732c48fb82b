"""Metrics over the management API: a survey KPI, the closing-the-loop figures and the money
at stake."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from feedback.metrics import money
from feedback.metrics.filters import parse_period
from feedback.scorecard.reports import loop_report, metric_report
from feedback.web.api import require_key

bp = Blueprint("metrics_api", __name__, url_prefix="/api/v1")


@bp.get("/metrics/loop")
@require_key("read")
def loop_metrics() -> Any:
    """Closed-loop rate, time to first action and to resolution, recovered rate:
    ?period=... (or from/to) and group_by=team|owner."""
    return jsonify(loop_report(g.workspace, request.args))


@bp.get("/money")
@require_key("read")
def money_metrics() -> Any:
    """Value by NPS band, revenue at risk, churn and retention by band, and what a point of
    NPS is worth: ?period=... (or from/to), the last 90 days by default."""
    period = parse_period(g.workspace, request.args, default="last_90_days")
    return jsonify(money.money_report(g.workspace, period))


@bp.get("/metrics/<kind>")
@require_key("read")
def metric(kind: str) -> Any:
    return jsonify(metric_report(g.workspace, kind, request.args))
