"""Metrics over the management API: the scorecard, a survey KPI, the closing-the-loop figures
and the money at stake."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from feedback.errors import Invalid
from feedback.metrics import money
from feedback.metrics.filters import parse_period
from feedback.periods import NAMED, resolve
from feedback.scorecard.card import scorecard
from feedback.scorecard.kpi import kpi_dict
from feedback.scorecard.reports import loop_report, metric_report
from feedback.web.api import require_key

bp = Blueprint("metrics_api", __name__, url_prefix="/api/v1")


@bp.get("/scorecard")
@require_key("read")
def scorecard_report() -> Any:
    """Every KPI (survey, closing the loop, helpdesk, pushed) with its target, weekly series,
    projection and next action, and the money at stake."""
    named = request.args.get("period", "last_90_days")
    if named not in NAMED:
        raise Invalid(f"Must be one of: {', '.join(NAMED)}.", "period")
    card = scorecard(g.workspace, resolve(named, g.workspace.timezone), named)
    return jsonify(
        {
            "period": card["period"].to_dict(),
            "kpis": [kpi_dict(kpi) for kpi in card["kpis"]],
            "money": card["money"],
        }
    )


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
