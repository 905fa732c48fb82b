"""CSAT per support agent and team, with the agents significantly below their team flagged."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select

from feedback.accounts.models import Workspace
from feedback.database import owned_by
from feedback.extensions import db
from feedback.helpdesk.models import Ticket
from feedback.metrics import formulas
from feedback.metrics.sums import Scope, Sums, aggregates, scope_conditions, span_groups, week_spans
from feedback.periods import Period, resolve
from feedback.responses.models import Response


def _rows(workspace: Workspace, period: Period) -> list[Any]:
    conds = scope_conditions(Scope(workspace.id, "csat", period.start, period.end))
    return db.session.execute(
        select(Response.agent, Response.team, *aggregates("csat"))
        .where(*conds, Response.agent.is_not(None))
        .group_by(Response.agent, Response.team)
    ).all()


def _ticket_rows(workspace: Workspace, period: Period, by_agent: bool) -> list[Any]:
    conds = [owned_by(Ticket, workspace.id), Ticket.solved_at.is_not(None)]
    if period.start is not None:
        conds.append(Ticket.solved_at >= period.start)
    if period.end is not None:
        conds.append(Ticket.solved_at < period.end)
    agent = func.coalesce(Ticket.solved_by, Ticket.agent).label("agent")
    figures = (
        func.count().label("tickets"),
        func.avg(Ticket.first_response_seconds).label("frt"),
        func.avg(Ticket.resolution_seconds).label("resolution"),
        func.sum(case((Ticket.one_touch.is_(True), 1), else_=0)).label("one_touch"),
        func.count(Ticket.one_touch).label("known"),
    )
    if by_agent:
        stmt = select(agent, *figures).where(*conds, agent.is_not(None)).group_by(agent)
    else:
        stmt = select(*figures).where(*conds)
    return db.session.execute(stmt).all()


def _ticket_dict(row: Any) -> dict[str, Any]:
    def hours(seconds: Any) -> float | None:
        return round(float(seconds) / 3600, 1) if seconds is not None else None

    return {
        "tickets": row.tickets,
        "frt_hours": hours(row.frt),
        "resolution_hours": hours(row.resolution),
        "one_touch": round(100 * row.one_touch / row.known, 1) if row.known else None,
    }


def ticket_figures(workspace: Workspace, period: Period) -> dict[str, dict[str, Any]]:
    """Per agent who solved them: tickets, mean first response and resolution time (hours),
    and the one-touch rate, for tickets solved in the period."""
    return {row.agent: _ticket_dict(row) for row in _ticket_rows(workspace, period, True)}


def ticket_summary(workspace: Workspace, period: Period) -> dict[str, Any]:
    """The same figures over every ticket solved in the period."""
    return _ticket_dict(_ticket_rows(workspace, period, False)[0])


def agent_report(workspace: Workspace, period: Period) -> dict[str, Any]:
    """Each agent's CSAT with n and interval; flagged when significantly below the rest of
    their team (two-proportion test at 95%); and each agent's CSAT by week."""
    trend, weeks, weekly = _weekly(workspace)
    if (period.start, period.end) == (trend.start, trend.end):
        # The weeks are additive: the period's sums are theirs, without a second scan.
        sums: dict[tuple[Any, ...], Sums] = defaultdict(Sums)
        for week in weekly:
            for key, value in week.items():
                sums[key] = sums[key] + value
    else:
        sums = {(row.agent, row.team): Sums.of(row) for row in _rows(workspace, period)}
    per_agent: dict[str, Sums] = defaultdict(Sums)
    per_team: dict[str, Sums] = defaultdict(Sums)
    in_team: dict[tuple[str, str], Sums] = defaultdict(Sums)
    team_of: dict[str, Counter[str]] = defaultdict(Counter)
    for (agent, team_name), value in sums.items():
        team = team_name or "No team"
        per_agent[agent] = per_agent[agent] + value
        per_team[team] = per_team[team] + value
        in_team[(agent, team)] = in_team[(agent, team)] + value
        team_of[agent][team] += value.n
    low_n = workspace.low_n
    teams = {name: formulas.figure("csat", value, low_n) for name, value in per_team.items()}
    agents = []
    for name, value in per_agent.items():
        team = team_of[name].most_common(1)[0][0]
        fig = formulas.figure("csat", value, low_n)
        # The rest of the team: its answers without this agent's (in that team).
        rest = formulas.figure("csat", per_team[team].minus(in_team[(name, team)]), low_n)
        verdict = formulas.compare("csat", fig, rest)
        below = verdict["significant"] and (verdict["change"] or 0) < 0
        agents.append(
            {
                "agent": name,
                "team": team,
                **formulas.public(fig),
                "below_team": below,
                "versus_team": verdict["change"],
                # The standard error of that difference, for the effect of coaching them.
                "versus_team_se": _standard_error(verdict),
            }
        )
    tickets = ticket_figures(workspace, period)
    trends = _trends(weekly, low_n)
    for row in agents:
        row["tickets"] = tickets.get(row["agent"])
        row["trend"] = trends.get(row["agent"], [None] * len(weeks))
    agents.sort(key=lambda a: (a["value"] is None, -(a["value"] or 0)))
    return {
        "agents": agents,
        "weeks": [label for label, _, _ in weeks],
        "teams": [{"team": k, **formulas.public(v)} for k, v in sorted(teams.items())],
    }


def _standard_error(verdict: dict[str, Any]) -> float | None:
    change, z = verdict.get("change"), verdict.get("z")
    return abs(change / z) if change and z else None


def _weekly(
    workspace: Workspace, now: datetime | None = None
) -> tuple[Period, list[tuple[str, datetime, datetime]], list[dict[tuple[Any, ...], Any]]]:
    """The last three months, their weeks, and each week's CSAT sums per agent and team."""
    trend = resolve("last_90_days", workspace.timezone, now)
    assert trend.start is not None and trend.end is not None
    weeks = week_spans(workspace.timezone, trend.start, trend.end)
    spans = [(start, end) for _, start, end in weeks]
    return trend, weeks, span_groups(workspace.id, "csat", spans, ("agent", "team"))


def _trends(weekly: list[dict[tuple[Any, ...], Any]], low_n: int) -> dict[str, list[Any]]:
    """Each agent's CSAT for every week (None where a week has no answer)."""
    out: dict[str, list[Any]] = {}
    for i, week in enumerate(weekly):
        per_agent: dict[str, Sums] = defaultdict(Sums)
        for (agent, _team), value in week.items():
            per_agent[agent] = per_agent[agent] + value
        for agent, value in per_agent.items():
            values = out.setdefault(agent, [None] * len(weekly))
            values[i] = formulas.figure("csat", value, low_n)["value"]
    return out
