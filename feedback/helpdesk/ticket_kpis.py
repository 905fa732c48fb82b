"""The helpdesk's KPIs on the scorecard: first response time, resolution time and the one-touch
rate of solved tickets, per week with their 95% intervals, and per agent against the rest of the
helpdesk (for the next action on each KPI)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select

from feedback.database import owned_by
from feedback.extensions import db
from feedback.helpdesk.models import Ticket
from feedback.metrics.formulas import wilson
from feedback.metrics.sums import Z95


@dataclass(frozen=True)
class TicketKpi:
    """One helpdesk KPI: its key, title, unit, and whether lower is better."""

    key: str
    title: str
    unit: str
    lower_is_better: bool


TICKET_KPIS = (
    TicketKpi("frt_hours", "First response time", " h", True),
    TicketKpi("resolution_hours", "Resolution time", " h", True),
    TicketKpi("one_touch", "One-touch resolution", "%", False),
)
# The mean hours' column of each time KPI.
_SECONDS = {
    "frt_hours": Ticket.first_response_seconds,
    "resolution_hours": Ticket.resolution_seconds,
}


@dataclass(frozen=True)
class TicketSums:
    """What one group of solved tickets adds up to: per time KPI the count, sum and sum of
    squares of its hours; and the tickets whose one-touch is known, and the one-touch ones."""

    tickets: int = 0
    times: tuple[tuple[int, float, float], ...] = ((0, 0.0, 0.0), (0, 0.0, 0.0))
    known: int = 0
    one_touch: int = 0

    def __add__(self, other: TicketSums) -> TicketSums:
        times = tuple(
            (a[0] + b[0], a[1] + b[1], a[2] + b[2])
            for a, b in zip(self.times, other.times, strict=True)
        )
        return TicketSums(
            self.tickets + other.tickets,
            times,
            self.known + other.known,
            self.one_touch + other.one_touch,
        )

    def __sub__(self, other: TicketSums) -> TicketSums:
        times = tuple(
            (a[0] - b[0], a[1] - b[1], a[2] - b[2])
            for a, b in zip(self.times, other.times, strict=True)
        )
        return TicketSums(
            self.tickets - other.tickets,
            times,
            self.known - other.known,
            self.one_touch - other.one_touch,
        )

    def figure(self, key: str, low_n: int) -> dict[str, Any]:
        """The KPI `key` of these tickets: value, 95% interval, n, the low-n flag, and the
        value's standard error (what the trajectory and the comparisons weigh it by)."""
        if key == "one_touch":
            n, hits = self.known, self.one_touch
            if not n:
                return _empty(low_n)
            p = hits / n
            return {
                "value": round(p * 100, 1),
                "interval": list(wilson(hits, n)),
                "n": n,
                "low_confidence": n < low_n,
                "se": math.sqrt(p * (1 - p) / n) * 100,
            }
        n, total, squares = self.times[0 if key == "frt_hours" else 1]
        if not n:
            return _empty(low_n)
        mean = total / n
        spread = max(0.0, squares / n - mean * mean)
        se = math.sqrt(spread / (n - 1)) if n > 1 else 0.0
        return {
            "value": round(mean, 1),
            "interval": [round(max(0.0, mean - Z95 * se), 1), round(mean + Z95 * se, 1)],
            "n": n,
            "low_confidence": n < low_n,
            "se": se,
        }


def _empty(low_n: int) -> dict[str, Any]:
    return {"value": None, "interval": None, "n": 0, "low_confidence": low_n > 0, "se": None}


def _sums_columns() -> list[Any]:
    out: list[Any] = [func.count().label("tickets")]
    for i, seconds in enumerate(_SECONDS.values()):
        hours = seconds / 3600.0
        out += [
            func.count(seconds).label(f"n{i}"),
            func.sum(hours).label(f"s{i}"),
            func.sum(hours * hours).label(f"q{i}"),
        ]
    out += [
        func.count(Ticket.one_touch).label("known"),
        func.sum(case((Ticket.one_touch.is_(True), 1), else_=0)).label("hits"),
    ]
    return out


def _of(row: Any) -> TicketSums:
    times = tuple(
        (int(row[f"n{i}"] or 0), float(row[f"s{i}"] or 0.0), float(row[f"q{i}"] or 0.0))
        for i in range(len(_SECONDS))
    )
    return TicketSums(int(row["tickets"]), times, int(row["known"] or 0), int(row["hits"] or 0))


def _solved_within(start: datetime | None, end: datetime | None) -> list[Any]:
    conds = [Ticket.solved_at.is_not(None)]
    if start is not None:
        conds.append(Ticket.solved_at >= start)
    if end is not None:
        conds.append(Ticket.solved_at < end)
    return conds


def span_ticket_sums(workspace_id: int, spans: list[tuple[datetime, datetime]]) -> list[TicketSums]:
    """The sums of the tickets solved in each [start, end) span, in one statement."""
    if not spans:
        return []
    bucket = case(
        *[(and_(Ticket.solved_at >= s, Ticket.solved_at < e), i) for i, (s, e) in enumerate(spans)],
        else_=None,
    ).label("span")
    stmt = (
        select(bucket, *_sums_columns())
        .where(
            owned_by(Ticket, workspace_id),
            *_solved_within(min(s for s, _ in spans), max(e for _, e in spans)),
        )
        .group_by(bucket)
    )
    out = [TicketSums() for _ in spans]
    for row in db.session.execute(stmt).mappings():
        if row["span"] is not None:
            out[int(row["span"])] = _of(row)
    return out


def agent_ticket_sums(
    workspace_id: int, start: datetime | None, end: datetime | None
) -> dict[str, TicketSums]:
    """The sums of the tickets each agent solved in [start, end)."""
    agent = func.coalesce(Ticket.solved_by, Ticket.agent).label("agent")
    stmt = (
        select(agent, *_sums_columns())
        .where(owned_by(Ticket, workspace_id), *_solved_within(start, end), agent.is_not(None))
        .group_by(agent)
    )
    return {row["agent"]: _of(row) for row in db.session.execute(stmt).mappings()}


def ticket_sums(workspace_id: int, start: datetime | None, end: datetime | None) -> TicketSums:
    """The sums of every ticket solved in [start, end)."""
    stmt = select(*_sums_columns()).where(
        owned_by(Ticket, workspace_id), *_solved_within(start, end)
    )
    return _of(db.session.execute(stmt).mappings().one())
