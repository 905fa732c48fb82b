"""The metrics report: a figure for a period, its trend, its breakdown and its change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from feedback import metrics
from feedback.errors import Invalid
from feedback.models import Workspace
from feedback.periods import previous
from feedback.services.queries import parse_period, parse_query


def metric_report(workspace: Workspace, kind: str, args: Mapping[str, str]) -> dict[str, Any]:
    """Answer "what is our NPS this quarter, by week, by plan, and is the change real?"."""
    if kind not in metrics.KINDS:
        raise Invalid(f"Must be one of: {', '.join(metrics.KINDS)}.", "kind")
    query = parse_query(workspace, {k: v for k, v in args.items() if k != "kind"})
    if query.bands or query.text or query.score_min is not None or query.score_max is not None:
        raise Invalid(
            "A metric counts every score; filter by survey, period or context only.", "band"
        )
    period = parse_period(workspace, args, default="last_90_days")
    scope = metrics.Scope(
        workspace.id, kind, period.start, period.end, query.survey_ids, query.channel, query.context
    )
    low_n = workspace.low_n
    current = metrics.summary(scope, low_n)
    report: dict[str, Any] = {
        "kind": kind,
        "period": period.to_dict(),
        "low_n": low_n,
        "summary": metrics.public(current),
        "response_rate": metrics.response_rate(scope),
    }
    if args.get("interval"):
        report["series"] = metrics.series(scope, args["interval"], workspace.timezone, low_n)
    if args.get("group_by"):
        report["groups"] = metrics.breakdown(scope, args["group_by"], low_n)
    compare = args.get("compare", "previous")
    if compare not in ("previous", "none"):
        raise Invalid("Must be previous or none.", "compare")
    before = previous(period, workspace.timezone) if compare == "previous" else None
    if before is not None:
        earlier = metrics.summary(scope.between(before.start, before.end), low_n)
        report["comparison"] = {
            "period": before.to_dict(),
            "previous": metrics.public(earlier),
            **metrics.compare(kind, current, earlier),
        }
    return report
