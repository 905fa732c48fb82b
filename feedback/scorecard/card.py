"""The scorecard: every KPI (survey scores, closing the loop, the helpdesk, pushed figures)
with its confidence, target, trajectory and next action, by balanced-scorecard perspective,
and the money at stake."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from feedback.accounts.models import Workspace
from feedback.helpdesk.ticket_kpis import TICKET_KPIS
from feedback.lookups import kept
from feedback.metrics import formulas, money
from feedback.metrics.models import PERSPECTIVE_NAMES, PERSPECTIVES
from feedback.metrics.sums import KINDS, Sums, span_sums, week_spans
from feedback.periods import Period, previous, resolve
from feedback.scorecard import kpis as kpis_service
from feedback.scorecard.advice import TOPICS, recommend
from feedback.scorecard.chart import churn_chart
from feedback.scorecard.kpi import HISTORY_WEEKS, Kpi, fit, week_figure, with_target
from feedback.scorecard.operations import LOOP_KPIS, loop_kpis, pushed_kpis, ticket_kpis
from feedback.themes.report import emerging

TITLES = {
    "nps": "Net Promoter Score",
    "csat": "Customer satisfaction",
    "psat": "Product satisfaction",
    "ces": "Customer effort",
}
UNITS = {"nps": "", "csat": "%", "psat": "%", "ces": " / 7"}
# What each survey KPI can be: its projection and interval stay within these.
BOUNDS = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "psat": (0.0, 100.0), "ces": (1.0, 7.0)}


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
        KpiEntry(t.key, t.title, "Helpdesk", not t.lower_is_better, "process") for t in TICKET_KPIS
    ]
    entries += [
        KpiEntry(spec.key, spec.title, "Closing the loop", not spec.hours, spec.perspective)
        for spec in LOOP_KPIS
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
    """Every KPI for the period (by default the named period `named`): the survey KPIs against
    the period before, the closing-the-loop, helpdesk and pushed ones; each with its weekly
    series of six months, where it is heading and the action most likely to move it."""
    period = period or resolve(named, workspace.timezone)
    before = previous(period, workspace.timezone)
    goals = kpis_service.targets(workspace)
    history = _history(workspace)
    figures = _survey_figures(workspace, period, before, history)
    # The loop figures are the page's slowest part (hundreds of ms at a million responses:
    # the recovered rate reads the rows) and move slowly; a change to a case clears them.
    key = ("figures", workspace.id, "loop", period.start, period.end)
    loop = kept(key, lambda: loop_kpis(workspace, period, history))
    # The emerging topics weigh in on every survey KPI's next action: read once.
    topics = cache(lambda: emerging(workspace, period, TOPICS))
    survey = []
    for kind, (current, earlier, trend, past) in figures.items():
        comparison: dict[str, Any] = {"change": None, "significant": False}
        if earlier is not None:
            comparison = {
                "previous": formulas.public(earlier),
                **formulas.compare(kind, current, earlier),
            }
        fig = formulas.public(current)
        kpi = Kpi(
            kind,
            TITLES[kind],
            UNITS[kind],
            fig,
            comparison,
            trend,
            bounds=BOUNDS[kind],
            digits=1 if kind == "ces" else 0,
            n_label="responses",
        )
        if fig["n"]:
            recovered = loop["whole"]["recovered"] if loop["cases"] else None
            kpi.recommendation = _recommendation(
                workspace, kind, period, named, fig["n"], recovered, topics
            )
            fit(kpi, past)
        survey.append(with_target(kpi, goals.get(kind)))
    others = [
        with_target(kpi, goals.get(kpi.kind))
        for kpi in loop["kpis"] + _kept_others(workspace, period, history)
    ]
    perspectives: dict[str, list[Kpi]] = {p: [] for p in PERSPECTIVES}
    for kpi in others:
        perspectives[kpi.perspective].append(kpi)
    money_key = ("figures", workspace.id, "money", period.start, period.end)
    money_block = kept(money_key, lambda: money.money_report(workspace, period))
    return {
        "period": period,
        "previous": before,
        "kpis": survey + others,
        "survey_kpis": survey,
        "perspectives": perspectives,
        "loop": loop,
        "perspective_names": PERSPECTIVE_NAMES,
        "money": money_block,
        "churn_chart": churn_chart(money_block.get("churn", {}).get("by_month", [])),
    }


def _history(workspace: Workspace) -> list[tuple[str, Any, Any]]:
    """The weeks a trajectory is fitted on: the six months to the end of today."""
    end = resolve("last_90_days", workspace.timezone).end
    assert end is not None
    return week_spans(workspace.timezone, end - timedelta(weeks=HISTORY_WEEKS), end)


def _kept_others(workspace: Workspace, period: Period, history: list[Any]) -> list[Kpi]:
    # Each fits a trajectory per KPI: kept a minute, like the loop figures.
    key = ("figures", workspace.id, "operations", period.start, period.end)
    return kept(
        key,
        lambda: ticket_kpis(workspace, period, history) + pushed_kpis(workspace, history),
    )


def _recommendation(
    workspace: Workspace,
    kind: str,
    period: Period,
    named: str,
    n: int,
    recovered: dict[str, Any] | None,
    topics: Callable[[], list[Any]],
) -> Any:
    # Reads the themes' impact (and for CSAT the agents): kept a minute, like the loop figures.
    key = ("figures", workspace.id, "advice", kind, period.start, period.end)
    return kept(key, lambda: recommend(workspace, kind, period, named, n, recovered, topics))


def _survey_figures(
    workspace: Workspace, period: Period, before: Period | None, history: list[Any]
) -> dict[str, tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any]], list[Any]]]:
    """Per kind: the period's figure, the period before's, the weekly trend of the last three
    months, and the weeks of the last six (for the trajectory), all from one statement. The
    weeks are additive, so when the period is the trend's window its figure is their sum
    instead of a second scan."""
    trend_period = resolve("last_90_days", workspace.timezone)
    weeks = week_spans(workspace.timezone, trend_period.start, trend_period.end)
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
            week_figure(
                date.fromisoformat(label), formulas.figure(kind, span.get(kind, Sums()), low_n)
            )
            for (label, _, _), span in zip(history, sums[len(weeks) : edge], strict=True)
        ]
        out[kind] = (
            formulas.figure(kind, current, low_n),
            formulas.figure(kind, earlier, low_n) if earlier is not None else None,
            trend,
            past,
        )
    return out
