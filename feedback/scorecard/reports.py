"""The metrics reports: a figure for a period, its trend, its breakdown and its change; and the
closing-the-loop figures, overall and per team or owner."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from feedback.accounts.models import User, Workspace
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.metrics import formulas, loop, loop_sums, series, sums
from feedback.metrics.filters import parse_period, parse_query
from feedback.metrics.sums import KINDS
from feedback.periods import Period, previous


def metric_report(workspace: Workspace, kind: str, args: Mapping[str, str]) -> dict[str, Any]:
    """Answer "what is our NPS this quarter, by week, by plan, and is the change real?"."""
    if kind not in KINDS:
        raise Invalid(f"Must be one of: {', '.join(KINDS)}.", "kind")
    query = parse_query(workspace, {k: v for k, v in args.items() if k != "kind"})
    if query.bands or query.text or query.score_min is not None or query.score_max is not None:
        raise Invalid(
            "A metric counts every score; filter by survey, period or context only.", "band"
        )
    period = parse_period(workspace, args, default="last_90_days")
    scope = sums.Scope(
        workspace.id, kind, period.start, period.end, query.survey_ids, query.channel, query.context
    )
    low_n = workspace.low_n
    current = formulas.summary(scope, low_n)
    report: dict[str, Any] = {
        "kind": kind,
        "period": period.to_dict(),
        "low_n": low_n,
        "summary": formulas.public(current),
        "response_rate": series.response_rate(scope),
    }
    if args.get("interval"):
        report["series"] = series.series(scope, args["interval"], workspace.timezone, low_n)
    if args.get("group_by"):
        report["groups"] = series.breakdown(scope, args["group_by"], low_n)
    compare = args.get("compare", "previous")
    if compare not in ("previous", "none"):
        raise Invalid("Must be previous or none.", "compare")
    before = previous(period, workspace.timezone) if compare == "previous" else None
    if before is not None:
        earlier = formulas.summary(scope.between(before.start, before.end), low_n)
        report["comparison"] = {
            "period": before.to_dict(),
            "previous": formulas.public(earlier),
            **formulas.compare(kind, current, earlier),
        }
    return report


def loop_groups(
    workspace: Workspace,
    period: Period,
    group_by: str,
    figures: dict[Any, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The closing-the-loop figures per team or per owner (by email), most cases first;
    `figures` when they are already at hand (see `loop.loop_levels`)."""
    if figures is None:
        figures = loop.loop_figures(
            workspace.id, period.start, period.end, workspace.low_n, group_by
        )
    names: dict[Any, str] = {}
    if group_by == "owner":
        ids = [key for key in figures if key is not None]
        names = dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())
    rows = [{"group": names.get(key, key), "key": key, **fig} for key, fig in figures.items()]
    return sorted(rows, key=lambda row: (-row["cases"], row["group"] is None, row["group"] or ""))


def loop_report(workspace: Workspace, args: Mapping[str, str]) -> dict[str, Any]:
    """Closed-loop rate, time to first action and to resolution, and recovered rate for a
    period, overall and, with group_by, per team or per owner."""
    period = parse_period(workspace, args, default="last_90_days")
    group_by = args.get("group_by") or None
    if group_by is not None and group_by not in loop_sums.LOOP_GROUPS:
        raise Invalid(f"Must be one of: {', '.join(loop_sums.LOOP_GROUPS)}.", "group_by")
    summary = loop.loop_figures(workspace.id, period.start, period.end, workspace.low_n)
    report: dict[str, Any] = {
        "period": period.to_dict(),
        "low_n": workspace.low_n,
        "summary": summary[None],
    }
    if group_by is not None:
        report["group_by"] = group_by
        report["groups"] = loop_groups(workspace, period, group_by)
    return report
