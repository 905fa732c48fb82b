"""The scorecard: each survey KPI with its confidence, change and three-month trend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from feedback.accounts.models import Workspace
from feedback.helpdesk.agents import ticket_summary
from feedback.lookups import kept
from feedback.metrics import formulas, loop, money
from feedback.metrics.models import PERSPECTIVE_NAMES, PERSPECTIVES
from feedback.metrics.recommend import Recommendation
from feedback.metrics.sums import KINDS, Sums, span_sums, week_spans
from feedback.metrics.trajectory import Trajectory, Week, project
from feedback.periods import Period, previous, resolve
from feedback.scorecard import kpis as kpis_service
from feedback.scorecard.advice import recommend
from feedback.scorecard.chart import Chart, WeekFigure, chart, churn_chart
from feedback.scorecard.reports import loop_groups

TITLES = {
    "nps": "Net Promoter Score",
    "csat": "Customer satisfaction",
    "psat": "Product satisfaction",
    "ces": "Customer effort",
}
UNITS = {"nps": "", "csat": "%", "psat": "%", "ces": " / 7"}
# What each survey KPI can be: its projection and interval stay within these.
BOUNDS = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "psat": (0.0, 100.0), "ces": (1.0, 7.0)}
HISTORY_WEEKS = 26  # the weeks a trajectory is fitted on: six months


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
    recommendation: Recommendation | None = None
    history: list[WeekFigure] = field(default_factory=list)
    trajectory: Trajectory | None = None
    outlook: str = ""
    chart: Chart | None = None


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


@dataclass(frozen=True)
class KpiEntry:
    """A KPI a target can be set for, with what a new target starts from."""

    metric: str
    title: str
    group: str
    higher_is_better: bool = True
    perspective: str = "customer"


def kpi_catalog(workspace: Workspace) -> list[KpiEntry]:
    """Every KPI the scorecard shows: the survey kinds, the helpdesk and loop figures, each
    pushed metric, and any other metric that already has a target."""
    entries = [KpiEntry(kind, title, "Surveys") for kind, title in TITLES.items()]
    entries += [
        KpiEntry(key, title, "Helpdesk", not lower, "process")
        for key, title, _unit, lower in TICKET_KPIS
    ]
    entries += [
        KpiEntry(key, title, "Closing the loop", not name.endswith("_hours"), perspective)
        for key, name, title, _detail, perspective in LOOP_KPIS
    ]
    known = {e.metric for e in entries}
    others = set(kpis_service.latest_values(workspace)) | set(kpis_service.targets(workspace))
    entries += [
        KpiEntry(key, key.replace("_", " ").capitalize(), "Pushed", perspective="financial")
        for key in sorted(others - known)
    ]
    return entries


def scorecard(
    workspace: Workspace, period: Period | None = None, named: str = "last_90_days"
) -> dict[str, Any]:
    """Every survey KPI for the period (by default the named period `named`), against the
    period before, with a weekly trend and the action most likely to move it."""
    period = period or resolve(named, workspace.timezone)
    before = previous(period, workspace.timezone)
    goals = kpis_service.targets(workspace)
    kpis = []
    figures = _survey_figures(workspace, period, before)
    for kind, (current, earlier, trend, history) in figures.items():
        comparison: dict[str, Any] = {"change": None, "significant": False}
        if earlier is not None:
            comparison = {
                "previous": formulas.public(earlier),
                **formulas.compare(kind, current, earlier),
            }
        fig = formulas.public(current)
        kpi = Kpi(kind, TITLES[kind], UNITS[kind], fig, comparison, trend, goals.get(kind))
        kpi.status = kpis_service.status(fig["value"], kpi.target, fig.get("interval"))
        if fig["n"]:
            kpi.recommendation = _recommendation(workspace, kind, period, named)
            _outlook(kpi, history)
        kpis.append(kpi)
    perspectives = _other_kpis(workspace, period, goals)
    # The loop figures are the page's slowest part (hundreds of ms at a million responses:
    # the recovered rate reads the rows) and move slowly; a change to a case clears them.
    key = ("figures", workspace.id, "loop", period.start, period.end)
    loop = kept(key, lambda: _loop(workspace, period, goals))
    for entry in loop["kpis"]:
        perspectives[entry["perspective"]].append(entry)
    money_key = ("figures", workspace.id, "money", period.start, period.end)
    money_block = kept(money_key, lambda: money.money_report(workspace, period))
    return {
        "period": period,
        "previous": before,
        "kpis": kpis,
        "perspectives": perspectives,
        "loop": loop,
        "perspective_names": PERSPECTIVE_NAMES,
        "money": money_block,
        "churn_chart": churn_chart(money_block.get("churn", {}).get("by_month", [])),
    }


def _recommendation(workspace: Workspace, kind: str, period: Period, named: str) -> Any:
    # Reads the themes' impact (and for CSAT the agents): kept a minute, like the loop figures.
    key = ("figures", workspace.id, "advice", kind, period.start, period.end)
    return kept(key, lambda: recommend(workspace, kind, period, named))


def _survey_figures(
    workspace: Workspace, period: Period, before: Period | None
) -> dict[str, tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any]], list[Any]]]:
    """Per kind: the period's figure, the period before's, the weekly trend of the last three
    months, and the weeks of the last six (for the trajectory), all from one statement. The
    weeks are additive, so when the period is the trend's window its figure is their sum
    instead of a second scan."""
    trend_period = resolve("last_90_days", workspace.timezone)
    weeks = week_spans(workspace.timezone, trend_period.start, trend_period.end)
    assert trend_period.end is not None
    history = week_spans(
        workspace.timezone, trend_period.end - timedelta(weeks=HISTORY_WEEKS), trend_period.end
    )
    spans: list[tuple[Any, Any]] = [(start, end) for _, start, end in weeks + history]
    same = (period.start, period.end) == (trend_period.start, trend_period.end)
    if not same:
        spans.append((period.start, period.end))
    if before is not None:
        spans.append((before.start, before.end))
    sums = span_sums(workspace.id, KINDS, spans)
    low_n, out = workspace.low_n, {}
    edge = len(weeks) + len(history)
    for kind in KINDS:
        weekly = [span.get(kind, Sums()) for span in sums[: len(weeks)]]
        current = sum(weekly, Sums()) if same else sums[edge].get(kind, Sums())
        earlier = sums[-1].get(kind, Sums()) if before is not None else None
        trend = [
            {"bucket": label, **formulas.public(formulas.figure(kind, week, low_n))}
            for (label, _, _), week in zip(weeks, weekly, strict=True)
            if week.n
        ]
        past = [
            _week(label, formulas.figure(kind, span.get(kind, Sums()), low_n))
            for (label, _, _), span in zip(history, sums[len(weeks) : edge], strict=True)
        ]
        out[kind] = (
            formulas.figure(kind, current, low_n),
            formulas.figure(kind, earlier, low_n) if earlier is not None else None,
            trend,
            past,
        )
    return out


def _week(monday: str, fig: dict[str, Any]) -> WeekFigure:
    interval = fig.get("interval") or (None, None)
    value = fig["value"] if fig["n"] else None
    low, high = (interval[0], interval[1]) if value is not None else (None, None)
    return WeekFigure(date.fromisoformat(monday), value, low, high, fig["n"])


def _outlook(kpi: Kpi, history: list[WeekFigure]) -> None:
    """Where the KPI is heading: its projection, the sentence against its target, the chart."""
    weeks = [Week(w.week, w.value, w.n) for w in history]
    kpi.history = history
    kpi.trajectory = project(weeks, BOUNDS[kpi.kind])
    goal = kpi.target.target if kpi.target is not None else None
    higher = kpi.target.higher_is_better if kpi.target is not None else True
    kpi.outlook = kpi.trajectory.sentence(goal, higher)
    kpi.chart = chart(history, kpi.trajectory, goal, 1 if kpi.kind == "ces" else 0)


def _loop(workspace: Workspace, period: Period, goals: dict[str, Any]) -> dict[str, Any]:
    """The closing-the-loop KPIs (once the workspace has cases), and per team and owner."""
    levels = loop.loop_levels(workspace.id, period.start, period.end, workspace.low_n)
    figures = levels[None][None]
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
        "teams": loop_groups(workspace, period, "team", levels["team"]),
        "owners": loop_groups(workspace, period, "owner", levels["owner"]),
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


def kpi_dict(kpi: Kpi) -> dict[str, Any]:
    """A survey KPI as the API gives it: its figure, target, weekly series with bands, its
    projection and its recommendation."""
    fig, target = kpi.figure, kpi.target
    return {
        "kpi": kpi.kind,
        "title": kpi.title,
        "value": fig["value"],
        "interval": fig.get("interval"),
        "n": fig["n"],
        "low_confidence": fig.get("low_confidence", False),
        "change": kpi.comparison,
        "target": target.target if target is not None else None,
        "owner": target.owner if target is not None else None,
        "status": kpi.status,
        "series": [
            {"week": w.week.isoformat(), "value": w.value, "low": w.low, "high": w.high, "n": w.n}
            for w in kpi.history
        ],
        "projection": _projection_dict(kpi),
        "recommendation": kpi.recommendation.to_dict() if kpi.recommendation else None,
    }


def _projection_dict(kpi: Kpi) -> dict[str, Any] | None:
    path = kpi.trajectory
    if path is None:
        return None
    if not path.projected:
        return {"weeks": 0, "reason": path.reason, "sentence": kpi.outlook}
    end, target = path.projection[-1], kpi.target
    goal = target.target if target is not None else None
    higher = target.higher_is_better if target is not None else True
    reached = path.reaches_target_on(goal, higher) if goal is not None else None
    return {
        "weeks": len(path.projection),
        "value": end.value,
        "low": end.low,
        "high": end.high,
        "confidence": path.confidence,
        "trend": path.trend,
        "on_course": path.on_course(goal, higher) if goal is not None else None,
        "reaches_target_on": reached.isoformat() if reached else None,
        "sentence": kpi.outlook,
        "points": [
            {"week": p.week.isoformat(), "value": p.value, "low": p.low, "high": p.high}
            for p in path.projection
        ],
    }
