"""Which part of a period the daily sums answer, and which part the rows must.

A span [start, end) in naive UTC is cut into whole local days that are summed (before the
workspace's mark and not filed as changed) and UTC ranges read from the responses themselves:
the partial days at either end, today, and the changed days. Both halves add up to exactly the
figure the rows alone would give (feedback/metrics/models.py says how the sums stay exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true

from feedback.accounts.models import Workspace
from feedback.database import owned_by
from feedback.extensions import db
from feedback.metrics.models import FIELDS, PAIRS, RollupMark, RollupStale
from feedback.periods import local_day, midnight, zone

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Plan:
    """A workspace's summed days: all local days before `until_day`, except `stale`."""

    tz: ZoneInfo
    until: datetime
    until_day: date
    stale: frozenset[date]


@dataclass(frozen=True)
class Cover:
    """A span as local day ranges [first, last) read from the sums (ISO dates, None: from the
    first day there is) and UTC ranges read from the rows (None: unbounded)."""

    days: tuple[tuple[str | None, str], ...]
    live: tuple[tuple[datetime | None, datetime | None], ...]


def plan(workspace_id: int) -> Plan | None:
    """What the sums hold for the workspace now; None when they hold nothing usable (never
    summed, or summed in a timezone the workspace no longer has)."""
    row = db.session.execute(
        select(RollupMark.timezone, RollupMark.rolled_until, Workspace.timezone)
        .join(Workspace, Workspace.id == RollupMark.workspace_id)
        .where(owned_by(RollupMark, workspace_id))
    ).first()
    if row is None or row.rolled_until is None or row[0] != row[2]:
        return None
    tz = zone(row[0])
    until_day = local_day(row.rolled_until, tz)
    stale: set[date] = set()
    for (day,) in db.session.execute(
        select(RollupStale.day).where(owned_by(RollupStale, workspace_id))
    ):
        start = datetime.fromisoformat(day)
        # A UTC day overlaps the local days its first and last instants fall on.
        stale.add(local_day(start, tz))
        stale.add(local_day(start + DAY - timedelta(microseconds=1), tz))
    return Plan(tz, row.rolled_until, until_day, frozenset(d for d in stale if d < until_day))


def cover(found: Plan | None, start: datetime | None, end: datetime | None) -> Cover:
    """Cut [start, end) into summed local days and ranges to read from the rows."""
    if found is None:
        return Cover((), ((start, end),))
    tz = found.tz
    high = found.until if end is None else min(end, found.until)
    last = local_day(high, tz)  # every local day before it ends by `high`
    first: date | None = None
    if start is not None:
        first = local_day(start, tz)
        if midnight(first, tz) < start:
            first += DAY
        if first >= last:
            return Cover((), ((start, end),))
    days: list[tuple[str | None, str]] = []
    live: list[tuple[datetime | None, datetime | None]] = []
    if start is not None and first is not None and start < midnight(first, tz):
        live.append((start, midnight(first, tz)))
    cursor: date | None = first
    for day in sorted(found.stale):
        if (first is not None and day < first) or day >= last:
            continue
        if cursor is None or cursor < day:
            days.append((cursor.isoformat() if cursor else None, day.isoformat()))
        live.append((midnight(day, tz), midnight(day + DAY, tz)))
        cursor = day + DAY
    if cursor is None or cursor < last:
        days.append((cursor.isoformat() if cursor else None, last.isoformat()))
    if end is None or midnight(last, tz) < end:
        live.append((midnight(last, tz), end))
    return Cover(tuple(days), tuple(_merged(live)))


def _merged(
    ranges: list[tuple[datetime | None, datetime | None]],
) -> list[tuple[datetime | None, datetime | None]]:
    out: list[tuple[datetime | None, datetime | None]] = []
    for lo, hi in ranges:
        if out and out[-1][1] is not None and out[-1][1] == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def in_days(column: Any, days: tuple[tuple[str | None, str], ...]) -> ColumnElement[bool]:
    """`column` (an ISO date) within any of the day ranges (none: no day)."""
    parts = [
        column < last if first is None else and_(column >= first, column < last)
        for first, last in days
    ]
    return or_(false(), *parts)


def in_ranges(
    column: Any, ranges: tuple[tuple[datetime | None, datetime | None], ...]
) -> ColumnElement[bool]:
    """`column` (a naive UTC time) within any of the ranges (none: no time)."""
    parts = []
    for lo, hi in ranges:
        conds = []
        if lo is not None:
            conds.append(column >= lo)
        if hi is not None:
            conds.append(column < hi)
        parts.append(and_(*conds) if conds else true())
    return or_(false(), *parts)


SUMS = ("n", "high", "low", "total", "total_sq")


def sliced(
    model: Any,
    kinds: tuple[str, ...] | None = None,
    survey_ids: tuple[int, ...] | None = None,
    channel: str | None = None,
) -> list[ColumnElement[bool]]:
    """Conditions on the kind, survey and channel that responses and their sums all carry."""
    conds = []
    if kinds is not None:
        conds.append(model.kind.in_(kinds))
    if survey_ids is not None:
        conds.append(model.survey_id.in_(survey_ids))
    if channel:
        conds.append(model.channel == channel)
    return conds


def summed(model: Any, names: tuple[str, ...] = SUMS) -> list[Any]:
    """The sum of each of the sums table's `names` columns, labelled by its name."""
    return [func.sum(getattr(model, name)).label(name) for name in names]


def summed_fields(fields: tuple[str, ...]) -> str | None:
    """The `field` of DayFigure rows that hold groups by `fields`, or None when no rows do
    ("" for no field, and for channel or survey, which every row carries)."""
    if not fields or fields in (("channel",), ("survey",)):
        return ""
    if len(fields) == 1 and fields[0] in FIELDS:
        return fields[0]
    if fields in PAIRS:
        return ",".join(fields)
    return None
