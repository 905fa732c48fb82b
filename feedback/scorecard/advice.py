"""The next action for each KPI of the scorecard, from the figures that explain it: the themes
that drag a survey KPI down (their impact), and for CSAT the agents below their team.

Each candidate carries its expected effect on the KPI in the KPI's own unit, with an interval,
and the evidence behind it; `metrics.recommend.rank` chooses among them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from feedback.accounts.models import Workspace
from feedback.helpdesk.agents import agent_report
from feedback.metrics.recommend import Action, Recommendation, gap_interval, rank, share_interval
from feedback.periods import Period
from feedback.surveys.kinds import LOW_BAND
from feedback.themes.impact import impact_report
from feedback.themes.taxonomy import list_themes

UNITS = {"nps": " pts", "csat": " pts", "psat": " pts", "ces": ""}


def recommend(workspace: Workspace, kind: str, period: Period, named: str) -> Recommendation:
    """The action most likely to move the survey KPI `kind` over `period` (the named period
    `named`, which the evidence links open), and why."""
    actions = theme_actions(workspace, kind, period, named)
    if kind == "csat":
        actions += agent_actions(workspace, period)
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
