"""The scorecard: each survey KPI with its confidence, change and three-month trend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from feedback import metrics
from feedback.models import Workspace
from feedback.models.kpi import PERSPECTIVES
from feedback.periods import Period, previous, resolve
from feedback.services import kpis as kpis_service
from feedback.services.agents import ticket_summary
from feedback.services.reports import loop_groups

TITLES = {
    "nps": "Net Promoter Score",
    "csat": "Customer satisfaction",
    "psat": "Product satisfaction",
    "ces": "Customer effort",
}
UNITS = {"nps": "", "csat": "%", "psat": "%", "ces": " / 7"}


@dataclass
class Kpi:
    kind: str
    title: str
    unit: str
    figure: dict[str, Any]
    comparison: dict[str, Any]
    trend: list[dict[str, Any]]
    target: Any = None
    status: str = "no target"


# Operational figures from helpdesk tickets: (key, title, unit, lower is better).
TICKET_KPIS = (
    ("frt_hours", "First response time", " h", True),
    ("resolution_hours", "Resolution time", " h", True),
    ("one_touch", "One-touch resolution", "%", False),
)

# Closing the loop, from cases: (metric, figure, title, what the value is, perspective).
LOOP_KPIS = (
    ("closed_loop_rate", "closed_loop", "Closed-loop rate", "closed within SLA", "process"),
    ("case_first_action_hours", "first_action_hours", "Time to first action", "median", "process"),
    ("case_resolution_hours", "resolution_hours", "Time to resolution", "median", "process"),
    ("recovered_rate", "recovered", "Recovered rate", "next score not low", "customer"),
)


def scorecard(workspace: Workspace, period: Period | None = None) -> dict[str, Any]:
    """Every survey KPI for the period, against the period before, with a weekly trend."""
    period = period or resolve("last_90_days", workspace.timezone)
    before = previous(period, workspace.timezone)
    trend_period = resolve("last_90_days", workspace.timezone)
    goals = kpis_service.targets(workspace)
    kpis = []
    for kind in metrics.KINDS:
        scope = metrics.Scope(workspace.id, kind, period.start, period.end)
        current = metrics.summary(scope, workspace.low_n)
        comparison: dict[str, Any] = {"change": None, "significant": False}
        if before is not None:
            earlier = metrics.summary(scope.between(before.start, before.end), workspace.low_n)
            comparison = {
                "previous": metrics.public(earlier),
                **metrics.compare(kind, current, earlier),
            }
        trend_scope = metrics.Scope(workspace.id, kind, trend_period.start, trend_period.end)
        trend = metrics.series(trend_scope, "week", workspace.timezone, workspace.low_n)
        fig = metrics.public(current)
        kpi = Kpi(kind, TITLES[kind], UNITS[kind], fig, comparison, trend, goals.get(kind))
        kpi.status = kpis_service.status(fig["value"], kpi.target, fig.get("interval"))
        kpis.append(kpi)
    perspectives = _other_kpis(workspace, period, goals)
    loop = _loop(workspace, period, goals)
    for entry in loop["kpis"]:
        perspectives[entry["perspective"]].append(entry)
    return {
        "period": period,
        "previous": before,
        "kpis": kpis,
        "perspectives": perspectives,
        "loop": loop,
    }


def _loop(workspace: Workspace, period: Period, goals: dict[str, Any]) -> dict[str, Any]:
    """The closing-the-loop KPIs (once the workspace has cases), and per team and owner."""
    figures = metrics.loop_figures(workspace.id, period.start, period.end, workspace.low_n)[None]
    if not figures["cases"]:
        return {"cases": 0, "kpis": [], "teams": [], "owners": []}
    entries = []
    for key, name, title, detail, perspective in LOOP_KPIS:
        fig, goal = figures[name], goals.get(key)
        entries.append(
            {
                "metric": key,
                "title": title,
                "value": fig["value"],
                "unit": " h" if name.endswith("_hours") else "%",
                "detail": detail,
                "n": fig["n"],
                "n_label": "case" if fig["n"] == 1 else "cases",
                "interval": fig.get("interval"),
                "low_confidence": fig["low_confidence"],
                "target": goal,
                "status": kpis_service.status(fig["value"], goal, fig.get("interval")),
                "perspective": goal.perspective if goal else perspective,
            }
        )
    return {
        "cases": figures["cases"],
        "kpis": entries,
        "teams": loop_groups(workspace, period, "team"),
        "owners": loop_groups(workspace, period, "owner"),
    }


def _other_kpis(workspace: Workspace, period: Period, goals: dict[str, Any]) -> dict[str, list]:
    """Ticket figures and pushed KPIs, by balanced-scorecard perspective."""
    groups: dict[str, list[dict[str, Any]]] = {p: [] for p in PERSPECTIVES}
    tickets = ticket_summary(workspace, period)
    if tickets["tickets"]:
        for key, title, unit, _lower in TICKET_KPIS:
            goal = goals.get(key)
            groups[goal.perspective if goal else "process"].append(
                {
                    "metric": key,
                    "title": title,
                    "value": tickets[key],
                    "unit": unit,
                    "n": tickets["tickets"],
                    "target": goal,
                    "status": kpis_service.status(tickets[key], goal),
                }
            )
    for key, entry in kpis_service.latest_values(workspace).items():
        goal = goals.get(key)
        groups[goal.perspective if goal else "financial"].append(
            {
                "metric": key,
                "title": key.replace("_", " ").capitalize(),
                "value": entry["value"],
                "unit": f" {entry['unit']}" if entry.get("unit") else "",
                "previous": entry.get("previous"),
                "day": entry["day"],
                "target": goal,
                "status": kpis_service.status(entry["value"], goal),
            }
        )
    return groups


def sparkline(points: list[float | None], width: int = 160, height: int = 40) -> str:
    """An SVG path through the points (gaps where a week has no value)."""
    values = [p for p in points if p is not None]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / max(1, len(points) - 1)
    path, pen_down = [], False
    for i, value in enumerate(points):
        if value is None:
            pen_down = False
            continue
        x = round(i * step, 1)
        y = round(height - 2 - (value - low) / span * (height - 4), 1)
        path.append(f"{'L' if pen_down else 'M'}{x},{y}")
        pen_down = True
    return " ".join(path)
