"""The scorecard's KPIs beyond the survey scores: closing the loop (from cases), the helpdesk
(from solved tickets) and the figures pushed from other systems, each with its weekly series of
six months, its trajectory and its next action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Any

from feedback.accounts.models import Workspace
from feedback.database import utcnow
from feedback.helpdesk.ticket_kpis import TICKET_KPIS, TicketSums, span_ticket_sums, ticket_sums
from feedback.metrics import loop
from feedback.metrics.recommend import Recommendation, rank
from feedback.metrics.trajectory import MIN_WEEKS
from feedback.periods import Period
from feedback.scorecard import kpis as kpis_service
from feedback.scorecard.advice import loop_actions, ticket_actions
from feedback.scorecard.chart import WeekFigure
from feedback.scorecard.kpi import ANY, HELPDESK, LOOP, OPEN, PERCENT, PUSHED, Kpi, fit, week_figure
from feedback.scorecard.reports import loop_groups

Spans = list[tuple[str, datetime, datetime]]


@dataclass(frozen=True)
class LoopKpi:
    """A closing-the-loop KPI: its metric key, the loop figure it reads, title, what the value
    is, and its perspective."""

    key: str
    figure: str
    title: str
    detail: str
    perspective: str

    @property
    def hours(self) -> bool:
        return self.figure.endswith("_hours")


LOOP_KPIS = (
    LoopKpi("closed_loop_rate", "closed_loop", "Closed-loop rate", "closed within SLA", "process"),
    LoopKpi(
        "case_first_action_hours", "first_action_hours", "Time to first action", "median", "process"
    ),
    LoopKpi("case_resolution_hours", "resolution_hours", "Time to resolution", "median", "process"),
    LoopKpi("recovered_rate", "recovered", "Recovered rate", "next score not low", "customer"),
)
SETTLE = timedelta(days=14)
NO_EVIDENCE = (
    "A pushed figure has no answers, cases or tickets behind it here: nothing to rank. "
    "Its owner knows what moves it."
)


def _spans(history: Spans) -> list[tuple[datetime, datetime]]:
    return [(start, end) for _, start, end in history]


def loop_kpis(workspace: Workspace, period: Period, history: Spans) -> dict[str, Any]:
    """The closing-the-loop KPIs (once the workspace has cases), and the figures per team and
    owner that the loop table shows and the next actions rank."""
    levels = loop.loop_levels(workspace.id, period.start, period.end, workspace.low_n)
    whole = levels[None][None]
    if not whole["cases"]:
        return {"cases": 0, "kpis": [], "teams": [], "owners": [], "whole": whole}
    groups = {
        "team": loop_groups(workspace, period, "team", levels["team"]),
        "owner": loop_groups(workspace, period, "owner", levels["owner"]),
    }
    # A week's cases are still being worked for a while after it ends: its closed-loop rate
    # would count a case not yet due as missed, its median time only the quick ones. The
    # trajectory takes the weeks that have settled.
    settled = [week for week in history if week[2] <= utcnow() - SETTLE]
    weeks = loop.loop_weeks(workspace.id, settled, workspace.low_n)
    kpis = []
    for spec in LOOP_KPIS:
        fig = whole[spec.figure]
        kpi = Kpi(
            spec.key,
            spec.title,
            " h" if spec.hours else "%",
            fig,
            group=LOOP,
            perspective=spec.perspective,
            higher_is_better=not spec.hours,
            bounds=OPEN if spec.hours else PERCENT,
            digits=1 if spec.hours else 0,
            detail=spec.detail,
            n_label="cases",
        )
        if fig["n"]:
            history_weeks = [
                week_figure(date.fromisoformat(monday), week[spec.figure])
                for (monday, _, _), week in zip(settled, weeks, strict=True)
            ]
            fit(kpi, history_weeks)
            actions = loop_actions(spec.figure, groups, whole)
            kpi.recommendation = rank(actions, kpi.unit if spec.hours else " pts")
        kpis.append(kpi)
    return {
        "cases": whole["cases"],
        "kpis": kpis,
        "teams": groups["team"],
        "owners": groups["owner"],
        "whole": whole,
    }


def ticket_kpis(workspace: Workspace, period: Period, history: Spans) -> list[Kpi]:
    """First response time, resolution time and one-touch rate (once tickets are solved)."""
    low_n = workspace.low_n
    weekly = span_ticket_sums(workspace.id, _spans(history))
    same = bool(history) and (period.start, period.end) == (history[0][1], history[-1][2])
    # The weeks are additive: when the period is theirs, its sums are their sum.
    total = (
        sum(weekly, TicketSums()) if same else ticket_sums(workspace.id, period.start, period.end)
    )
    if not total.tickets:
        return []
    out = []
    for spec in TICKET_KPIS:
        fig = total.figure(spec.key, low_n)
        kpi = Kpi(
            spec.key,
            spec.title,
            spec.unit,
            fig,
            group=HELPDESK,
            perspective="process",
            higher_is_better=not spec.lower_is_better,
            bounds=PERCENT if spec.unit == "%" else OPEN,
            digits=0 if spec.unit == "%" else 1,
            detail="of solved tickets" if spec.unit == "%" else "mean",
            n_label="tickets",
        )
        if fig["n"]:
            history_weeks = [
                week_figure(date.fromisoformat(monday), week.figure(spec.key, low_n))
                for (monday, _, _), week in zip(history, weekly, strict=True)
            ]
            fit(kpi, history_weeks)
            actions = ticket_actions(workspace, period, spec.key, spec.lower_is_better)
            kpi.recommendation = rank(actions, spec.unit if spec.unit != "%" else " pts")
        out.append(kpi)
    return out


def pushed_kpis(workspace: Workspace, history: Spans) -> list[Kpi]:
    """Each figure pushed from another system: its latest value, and its weekly mean for six
    months (a week's n: the days pushed in it)."""
    latest = kpis_service.latest_values(workspace)
    if not latest or not history:
        return []
    first = date.fromisoformat(history[0][0])
    weekly = kpis_service.weekly_values(workspace, first)
    out = []
    for key, entry in latest.items():
        values = weekly.get(key, {})
        seen = [v for week in values.values() for v in week]
        kpi = Kpi(
            key,
            key.replace("_", " ").capitalize(),
            f" {entry['unit']}" if entry.get("unit") else "",
            {"value": entry["value"], "n": len(seen), "previous": entry.get("previous")},
            group=PUSHED,
            perspective="financial",
            bounds=OPEN if all(v >= 0 for v in seen) else ANY,
            digits=_digits(seen or [entry["value"]]),
            detail="latest",
            n_label="values",
            as_of=entry["day"],
        )
        history_weeks = [
            _pushed_week(date.fromisoformat(monday), values.get(date.fromisoformat(monday), []))
            for monday, _, _ in history
        ]
        fit(kpi, history_weeks, min_responses=MIN_WEEKS)
        kpi.recommendation = Recommendation(None, (), NO_EVIDENCE)
        out.append(kpi)
    return out


def _pushed_week(monday: date, values: list[float]) -> WeekFigure:
    if not values:
        return WeekFigure(monday, None, None, None, 0)
    mean = fmean(values)
    return WeekFigure(monday, mean, min(values), max(values), len(values))


def _digits(values: list[float]) -> int:
    """Decimals enough to tell the figure's weeks apart: none for thousands, two for rates."""
    largest = max(abs(v) for v in values)
    return 0 if largest >= 100 else 1 if largest >= 10 else 2
