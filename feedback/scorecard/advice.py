"""The next action for each KPI of the scorecard, from the figures that explain it: the themes
that drag a survey KPI down (their impact), for CSAT the agents below their team, for NPS the
overdue detractor cases; for a closing-the-loop figure the teams and owners worse than the
rest, and for a helpdesk figure the agents worse than the rest.

Each candidate carries its expected effect on the KPI in the KPI's own unit, with an interval,
and the evidence behind it; `metrics.recommend.rank` chooses among them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from feedback.accounts.models import Workspace
from feedback.cases.models import OPEN_STATUSES, Case
from feedback.database import owned_by, utcnow
from feedback.extensions import db
from feedback.helpdesk.agents import agent_report
from feedback.helpdesk.ticket_kpis import TicketSums, agent_ticket_sums
from feedback.metrics.recommend import Action, Recommendation, gap_interval, rank, share_interval
from feedback.metrics.sums import Z95, Scope, Sums, scope_conditions, scope_sums
from feedback.periods import Period
from feedback.responses.models import Response
from feedback.surveys.kinds import LOW_BAND
from feedback.themes.impact import gain as impact_gain
from feedback.themes.impact import impact_report
from feedback.themes.report import emerging
from feedback.themes.taxonomy import list_themes

UNITS = {"nps": " pts", "csat": " pts", "psat": " pts", "ces": ""}
TOPICS = 5  # the emerging topics weighed, most promising first
UNCOVERED = 5000  # low-score comments with phrases read for them, at most


def recommend(
    workspace: Workspace,
    kind: str,
    period: Period,
    named: str,
    n: int = 0,
    recovered: dict[str, Any] | None = None,
    topics: Callable[[], list[Any]] | None = None,
) -> Recommendation:
    """The action most likely to move the survey KPI `kind` over `period` (the named period
    `named`, which the evidence links open), and why. `n`: the KPI's responses in the period;
    `recovered`: the period's recovered rate (with its counts), for the overdue cases;
    `topics`: the period's emerging topics, when the caller reads them once for every KPI."""
    actions = theme_actions(workspace, kind, period, named)
    if kind == "csat":
        actions += agent_actions(workspace, period)
    if kind == "nps" and recovered:
        actions += overdue_action(workspace, period, n, recovered)
    actions += topic_actions(workspace, kind, period, named, topics)
    return rank(actions, UNITS[kind])


def theme_actions(workspace: Workspace, kind: str, period: Period, named: str) -> list[Action]:
    """Fixing each theme whose negative low-band mentions hold the score down."""
    report = impact_report(workspace, kind, period)
    n = report["score"]["n"]
    owners = {theme.slug: theme.owner for theme in list_themes(workspace)}
    digits = 2 if kind == "ces" else 1
    out = []
    for row in report["themes"]:
        if row["gain"] <= 0:
            continue
        low, high = share_interval(row["gain"], row["negative_low"], n, digits)
        evidence = {
            "n": row["negative_low"],
            "of": n,
            "comments": _verbatims(row["theme"], kind, named),
        }
        out.append(
            Action(
                "fix_theme", row["name"], row["gain"], low, high, owners.get(row["theme"]), evidence
            )
        )
    return out


def agent_actions(workspace: Workspace, period: Period) -> list[Action]:
    """Coaching each agent significantly below the rest of their team, up to the team's CSAT."""
    report = agent_report(workspace, period)
    total = sum(row["n"] for row in report["agents"])
    out = []
    for row in report["agents"]:
        if not row["below_team"] or not row["versus_team_se"] or total == 0:
            continue
        gap, weight = -row["versus_team"], row["n"] / total
        low, high = gap_interval(gap, row["versus_team_se"], weight)
        evidence = {"n": row["n"], "of": total, "team": row["team"], "versus_team": gap}
        effect = round(gap * weight, 1)
        out.append(Action("coach_agent", row["agent"], effect, low, high, None, evidence))
    return out


def _verbatims(slug: str, kind: str, named: str) -> str:
    """The dashboard's verbatims of the low-band comments that mention the theme."""
    args = {"theme": slug, "kind": kind, "band": LOW_BAND[kind], "period": named}
    return "/app/verbatims?" + urlencode(args)


def overdue_action(
    workspace: Workspace, period: Period, n: int, recovered: dict[str, Any]
) -> list[Action]:
    """Clearing the overdue detractor cases, for NPS: each recovered detractor leaves the
    detractor band, +100/n points, and they recover at the workspace's recovered rate (its
    95% interval carried over). Only NPS: a recovered CSAT or PSAT answer may be neutral,
    which moves neither."""
    overdue = db.session.scalar(
        select(func.count())
        .select_from(Case)
        .where(
            owned_by(Case, workspace.id),
            Case.kind == "nps",
            Case.status.in_(OPEN_STATUSES),
            Case.due_at < utcnow(),
            *_opened_within(period),
        )
    )
    back_n = recovered.get("n") or 0
    if not overdue or not back_n or not n:
        return []
    rate = recovered["recovered"] / back_n
    low, high = (bound / 100 for bound in recovered["interval"])
    each = 100 / n
    evidence = {
        "n": overdue,
        "recovered": recovered["recovered"],
        "of": back_n,
        "rate": recovered["value"],
        "link": "/app/cases/all?" + urlencode({"overdue": "1", "status": "active"}),
    }
    subject = f"{overdue} overdue detractor case{'' if overdue == 1 else 's'}"
    return [
        Action(
            "clear_overdue",
            subject,
            round(overdue * rate * each, 1),
            round(overdue * low * each, 1),
            round(overdue * high * each, 1),
            None,
            evidence,
        )
    ]


def _opened_within(period: Period) -> list[Any]:
    conds = []
    if period.start is not None:
        conds.append(Case.opened_at >= period.start)
    if period.end is not None:
        conds.append(Case.opened_at < period.end)
    return conds


def loop_actions(
    name: str, groups: dict[str, list[dict[str, Any]]], whole: dict[str, Any]
) -> list[Action]:
    """Coaching each team or owner whose closing-the-loop figure `name` is worse than the rest
    of the workspace beyond the noise, weighted by its share of the cases.

    A rate is compared with the rest's (the difference's standard error from both); a median
    time with the workspace's, its standard error from the group's own interval: the effect is
    then the group's excess hours times its share, what the workspace's median would come down
    by at most."""
    out = []
    for level, rows in groups.items():
        for row in rows:
            fig = row[name]
            if row["group"] is None or not fig.get("n") or fig.get("value") is None:
                continue
            found = _gap(name, fig, whole[name])
            if found is None:
                continue
            gap, se = found
            weight = fig["n"] / whole[name]["n"]
            low, high = gap_interval(gap, se, weight)
            evidence = {
                "n": fig["n"],
                "of": whole[name]["n"],
                "gap": round(gap, 1),
                "link": "/app/cases/all?" + urlencode({level: row["key"], "status": "active"}),
            }
            action = "coach_team" if level == "team" else "coach_agent"
            out.append(
                Action(action, str(row["group"]), round(gap * weight, 1), low, high, None, evidence)
            )
    return out


def _gap(name: str, fig: dict[str, Any], whole: dict[str, Any]) -> tuple[float, float] | None:
    """How much worse the group is than the rest (positive: worse), with its standard error."""
    if name.endswith("_hours"):
        interval = fig.get("interval")
        if not interval:
            return None
        return fig["value"] - whole["value"], (interval[1] - interval[0]) / (2 * Z95)
    hits_name = "closed_in_time" if name == "closed_loop" else "recovered"
    rest_n = whole["n"] - fig["n"]
    if rest_n <= 0:
        return None
    p = fig[hits_name] / fig["n"]
    rest = (whole[hits_name] - fig[hits_name]) / rest_n
    se = math.sqrt(p * (1 - p) / fig["n"] + rest * (1 - rest) / rest_n) * 100
    return (rest - p) * 100, se


def ticket_actions(workspace: Workspace, period: Period, key: str, lower: bool) -> list[Action]:
    """Coaching each agent whose helpdesk figure `key` is worse than the rest of the helpdesk
    beyond the noise, weighted by their share of the tickets."""
    per_agent = agent_ticket_sums(workspace.id, period.start, period.end)
    total = sum(per_agent.values(), TicketSums())
    whole = total.figure(key, workspace.low_n)
    out = []
    for agent, sums in per_agent.items():
        mine, rest = sums.figure(key, 0), (total - sums).figure(key, 0)
        if mine["value"] is None or rest["value"] is None or not whole["n"]:
            continue
        gap = mine["value"] - rest["value"] if lower else rest["value"] - mine["value"]
        weight = mine["n"] / whole["n"]
        low, high = gap_interval(gap, math.hypot(mine["se"], rest["se"]), weight)
        evidence = {"n": mine["n"], "of": whole["n"], "gap": round(gap, 1)}
        out.append(Action("coach_agent", agent, round(gap * weight, 1), low, high, None, evidence))
    return out


def topic_actions(
    workspace: Workspace,
    kind: str,
    period: Period,
    named: str,
    topics: Callable[[], list[Any]] | None = None,
) -> list[Action]:
    """Looking into each emerging topic (a topic of comments no theme covers whose share grew
    significantly, as `themes.report.emerging` finds them) that low scores raise: its effect
    is what the score would gain without those low scores, as a theme's gain is reckoned
    (`themes.impact.gain`)."""
    found = topics() if topics is not None else emerging(workspace, period, TOPICS)
    if not found:
        return []
    conds = [
        *scope_conditions(Scope(workspace.id, kind, period.start, period.end)),
        Response.phrases.is_not(None),
        Response.band == LOW_BAND[kind],
    ]
    rows = db.session.execute(
        select(Response.score, Response.phrases).where(*conds).limit(UNCOVERED)
    ).all()
    overall = scope_sums(Scope(workspace.id, kind, period.start, period.end)).get((), Sums())
    digits = 2 if kind == "ces" else 1
    out = []
    for topic in found:
        wordings = set(topic.variants) or {topic.phrase}
        scores = [row.score for row in rows if not wordings.isdisjoint(row.phrases or ())]
        if not scores:
            continue
        moved = (len(scores), float(sum(scores)), float(sum(s * s for s in scores)))
        effect = impact_gain(kind, overall, *moved)
        if effect <= 0:
            continue
        low, high = share_interval(effect, len(scores), overall.n, digits)
        evidence = {
            "n": len(scores),
            "of": overall.n,
            "count": topic.count,
            "before": topic.previous_count,
            "comments": "/app/verbatims?"
            + urlencode({"q": topic.phrase, "kind": kind, "band": LOW_BAND[kind], "period": named}),
        }
        out.append(Action("watch_topic", topic.phrase, effect, low, high, None, evidence))
    return out
