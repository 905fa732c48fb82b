"""One KPI of the scorecard, whatever it measures (a survey score, a closing-the-loop figure, a
helpdesk time, a pushed outside figure): its figure, target and status, its weekly series for six
months, where it is heading, and the action most likely to move it; and the KPI as the API
gives it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from feedback.metrics.recommend import Action, Recommendation
from feedback.metrics.trajectory import MIN_RESPONSES, Trajectory, Week, project
from feedback.scorecard.chart import Chart, WeekFigure, chart
from feedback.scorecard.kpis import status
from feedback.scorecard.models import KpiTarget

# Where a KPI's figures come from, as the cards and the API name it.
GROUPS = ("Surveys", "Closing the loop", "Helpdesk", "Pushed")
SURVEYS, LOOP, HELPDESK, PUSHED = GROUPS
HISTORY_WEEKS = 26  # the weeks a trajectory is fitted on: six months
PERCENT = (0.0, 100.0)
OPEN = (0.0, float("inf"))  # a time, or a pushed figure that is never negative
ANY = (float("-inf"), float("inf"))


def _unchanged() -> dict[str, Any]:
    return {"change": None, "significant": False}


@dataclass
class Kpi:
    """A KPI card. `kind` is the metric's key (nps, closed_loop_rate, frt_hours, churn_rate)."""

    kind: str
    title: str
    unit: str
    figure: dict[str, Any]
    comparison: dict[str, Any] = field(default_factory=_unchanged)
    trend: list[dict[str, Any]] = field(default_factory=list)
    target: Any = None
    status: str = "no target"
    group: str = SURVEYS
    perspective: str = "customer"
    higher_is_better: bool = True
    bounds: tuple[float, float] = PERCENT
    digits: int = 0
    detail: str = ""  # what the value is: "median", "closed within SLA"
    n_label: str = "responses"
    as_of: str | None = None  # a pushed figure's latest day
    recommendation: Recommendation | None = None
    history: list[WeekFigure] = field(default_factory=list)
    trajectory: Trajectory | None = None
    outlook: str = ""
    chart: Chart | None = None

    @property
    def value(self) -> float | None:
        return self.figure.get("value")

    @property
    def better_higher(self) -> bool:
        """Which way is better: the target's say when it has one, else the KPI's nature."""
        return self.target.higher_is_better if self.target is not None else self.higher_is_better

    def shown(self, value: float | None) -> str:
        """A value as the card prints it: NPS signed, CES to a decimal, times to a decimal."""
        if value is None:
            return "–"
        text = f"{value:+.{self.digits}f}" if self.kind == "nps" else f"{value:,.{self.digits}f}"
        return text + self.unit

    def effect(self, action: Action) -> tuple[str, str]:
        """An action's expected effect and its interval in words: how far it moves the KPI its
        better way (down, for a time), in the KPI's unit: ("+2.5", "1.8 to 3.2"), ("-0.3 h",
        "-0.3 to -0.2 h"). One wording for the card, the review page and the mail."""
        hours = self.unit.strip() == "h"
        unit, digits = (self.unit if hours else ""), (2 if self.kind == "ces" else 1)
        sign = 1 if self.better_higher else -1
        low, high = (action.low, action.high) if sign > 0 else (-action.high, -action.low)
        return f"{sign * action.effect:+g}{unit}", f"{low:.{digits}f} to {high:.{digits}f}{unit}"

    def evidence(self, action: Action) -> tuple[str, str | None]:
        """What a next action rests on, in words, and where to see it: one wording for the
        card, the review page and the mail."""
        e = action.evidence
        if action.action == "fix_theme":
            proof = f"{e['n']} of {e['of']:,} responses are low scores that complain about it"
            return proof, e["comments"]
        if action.action == "watch_topic":
            return (
                f"{e['n']} of {e['of']:,} responses are low scores that raise it, a topic no "
                f"theme covers ({e['count']} comments, {e['before']} in the periods before)",
                e["comments"],
            )
        if action.action == "clear_overdue":
            recovered = f"{e['recovered']} of {e['of']} cases with a later answer recovered"
            return f"{recovered} ({e['rate']:.0f}%)", e["link"]
        if e.get("team"):
            proof = f"{e['n']} answers, {e['versus_team']:.1f} pts below the rest of {e['team']}"
            return proof, "/app/agents"
        hours = self.unit.strip() == "h"
        worse = f"{e['gap']:.1f}{self.unit if hours else ' pts'} worse than the rest"
        return f"{e['n']:,} of {e['of']:,} {self.n_label}, {worse}", e.get("link")


def week_figure(monday: date, fig: dict[str, Any]) -> WeekFigure:
    """One week of the series from its figure (value, interval, n)."""
    interval = fig.get("interval") or (None, None)
    value = fig["value"] if fig.get("n") else None
    low, high = (interval[0], interval[1]) if value is not None else (None, None)
    return WeekFigure(monday, value, low, high, fig.get("n") or 0)


def fit(kpi: Kpi, history: list[WeekFigure], min_responses: int = MIN_RESPONSES) -> None:
    """Where the KPI is heading, whatever its target: its weeks and their projection."""
    weeks = [Week(w.week, w.value, w.n) for w in history]
    kpi.history = history
    too_few = f"too few {kpi.n_label} to project"
    kpi.trajectory = project(weeks, kpi.bounds, min_responses=min_responses, too_few=too_few)


def with_target(kpi: Kpi, goal: KpiTarget | None) -> Kpi:
    """The KPI against its target as it is now: status, perspective, the sentence and the
    chart. A copy: the fitted KPI is kept a minute, a changed target shows at once."""
    out = replace(kpi, target=goal)
    out.status = status(kpi.value, goal, kpi.figure.get("interval"))
    if goal is not None:
        out.perspective = goal.perspective
    if out.trajectory is not None:
        line = goal.target if goal is not None else None
        out.outlook = out.trajectory.sentence(line, out.better_higher)
        out.chart = chart(out.history, out.trajectory, line, out.digits)
    return out


def kpi_dict(kpi: Kpi) -> dict[str, Any]:
    """A KPI as the API gives it: its figure, target, weekly series with bands, its projection
    and its recommendation."""
    fig, target = kpi.figure, kpi.target
    return {
        "kpi": kpi.kind,
        "title": kpi.title,
        "group": kpi.group,
        "perspective": kpi.perspective,
        "unit": kpi.unit.strip(),
        "value": fig.get("value"),
        "interval": fig.get("interval"),
        "n": fig.get("n"),
        "low_confidence": fig.get("low_confidence", False),
        "as_of": kpi.as_of,
        "change": kpi.comparison,
        "target": target.target if target is not None else None,
        "higher_is_better": kpi.better_higher,
        "owner": target.owner if target is not None else None,
        "owner_id": target.owner_id if target is not None else None,
        "status": kpi.status,
        "series": [
            {"week": w.week.isoformat(), "value": w.value, "low": w.low, "high": w.high, "n": w.n}
            for w in kpi.history
        ],
        "projection": _projection_dict(kpi),
        "recommendation": _recommendation_dict(kpi),
    }


def _recommendation_dict(kpi: Kpi) -> dict[str, Any] | None:
    """The next action; who owns it is its own owner (a theme's), else the KPI's."""
    if kpi.recommendation is None:
        return None
    out = kpi.recommendation.to_dict()
    if out.get("action") and out.get("owner") is None and kpi.target is not None:
        out["owner"] = kpi.target.owner
    return out


def _projection_dict(kpi: Kpi) -> dict[str, Any] | None:
    path = kpi.trajectory
    if path is None:
        return None
    if not path.projected:
        return {"weeks": 0, "reason": path.reason, "sentence": kpi.outlook}
    end, target = path.projection[-1], kpi.target
    goal = target.target if target is not None else None
    higher = kpi.better_higher
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
