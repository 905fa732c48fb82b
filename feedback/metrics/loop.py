"""The closing-the-loop figures of a period: from the daily sums for whole days, from the
cases for the rest."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    case,
    func,
    literal,
    or_,
    select,
)

from feedback.cases.models import Case
from feedback.database import owned_by
from feedback.extensions import db
from feedback.metrics import plan as rollups
from feedback.metrics.loop_sums import (
    CLOSED_AT,
    LOOP_GROUPS,
    _Bucket,
    _case_conditions,
    _closed_loop,
    _duration,
    _level,
    _median,
    _median_buckets,
    _proportion,
    _recovered,
)
from feedback.metrics.models import DayCaseFigure


def _add_up(
    sums: dict[tuple[Any, Any], tuple[int, int]], level: int | None
) -> dict[Any, tuple[int, int]]:
    out: dict[Any, tuple[int, int]] = {}
    for key, (n, hit) in sums.items():
        at = key[level] if level is not None else None
        had = out.get(at, (0, 0))
        out[at] = (had[0] + n, had[1] + hit)
    return out


def loop_figures(
    workspace_id: int,
    start: datetime | None,
    end: datetime | None,
    low_n: int,
    group_by: str | None = None,
) -> dict[Any, dict[str, Any]]:
    """The four closing-the-loop figures for cases opened in [start, end), each with n, its
    95% interval and the low-n flag; keyed by team or owner id (None: no team, unassigned),
    or under None alone when not grouped."""
    return loop_levels(workspace_id, start, end, low_n, (group_by,))[group_by]


def loop_levels(
    workspace_id: int,
    start: datetime | None,
    end: datetime | None,
    low_n: int,
    levels: tuple[str | None, ...] = (None, *LOOP_GROUPS),
) -> dict[str | None, dict[Any, dict[str, Any]]]:
    """`loop_figures` for several levels at once (None: the whole workspace), from one set
    of four statements."""
    places = {name: _level(name) for name in levels}
    part = rollups.cover(rollups.plan(workspace_id), start, end)
    closed: dict[tuple[Any, Any], tuple[int, int]] = {}
    first_action: dict[tuple[Any, Any], dict[int, _Bucket]] = {}
    resolution: dict[tuple[Any, Any], dict[int, _Bucket]] = {}
    if part.days:
        _add_summed(workspace_id, part.days, closed, first_action, resolution)
    if part.live:
        conds = [
            owned_by(Case, workspace_id),
            Case.status != "merged",
            rollups.in_ranges(Case.opened_at, part.live),
        ]
        _add_counts(closed, _closed_loop(conds))
        _add_buckets(first_action, _median_buckets(conds, Case.first_action_at))
        _add_buckets(resolution, _median_buckets(conds, CLOSED_AT))
    # Whether a respondent came back hangs on responses after the case, not on the case's day:
    # always read from the rows.
    recovered = _recovered(_case_conditions(workspace_id, start, end))
    return {
        name: _figures_at(closed, first_action, resolution, recovered, level, low_n)
        for name, level in places.items()
    }


# What the summed day (or month) rows of a set of keys add up to.
_SUMMED = (
    func.sum(DayCaseFigure.n).label("n"),
    func.sum(DayCaseFigure.hit).label("hit"),
    func.min(DayCaseFigure.lo).label("lo"),
    func.max(DayCaseFigure.hi).label("hi"),
)


def loop_weeks(
    workspace_id: int, weeks: list[tuple[str, datetime, datetime]], low_n: int
) -> list[dict[str, Any]]:
    """The workspace's closing-the-loop figures for the cases opened in each week (its local
    Monday, and its [start, end) in UTC), as `loop_figures` gives them, from one set of
    statements: the summed days grouped by week, the rest of the cases by the week they
    opened in."""
    if not weeks:
        return []
    start, end = weeks[0][1], weeks[-1][2]
    week = case(
        *[
            (and_(Case.opened_at >= lo, Case.opened_at < hi), i)
            for i, (_, lo, hi) in enumerate(weeks)
        ]
    )
    groups = (week.label("team"), literal(None).label("owner"))
    part = rollups.cover(rollups.plan(workspace_id), start, end)
    closed: dict[tuple[Any, Any], tuple[int, int]] = {}
    first_action: dict[tuple[Any, Any], dict[int, _Bucket]] = {}
    resolution: dict[tuple[Any, Any], dict[int, _Bucket]] = {}
    if part.days:
        _add_summed_weeks(workspace_id, part.days, weeks, closed, first_action, resolution)
    if part.live:
        conds = [
            owned_by(Case, workspace_id),
            Case.status != "merged",
            rollups.in_ranges(Case.opened_at, part.live),
        ]
        _add_counts(closed, _closed_loop(conds, groups))
        _add_buckets(first_action, _median_buckets(conds, Case.first_action_at, groups))
        _add_buckets(resolution, _median_buckets(conds, CLOSED_AT, groups))
    recovered = _recovered(_case_conditions(workspace_id, start, end), groups)
    found = _figures_at(closed, first_action, resolution, recovered, 0, low_n)
    empty = _figures_at({}, {}, {}, {}, None, low_n)[None]
    return [found.get(i, empty) for i in range(len(weeks))]


def _add_summed_weeks(
    workspace_id: int,
    days: tuple[tuple[str | None, str], ...],
    weeks: list[tuple[str, datetime, datetime]],
    closed: dict[tuple[Any, Any], tuple[int, int]],
    first_action: dict[tuple[Any, Any], dict[int, _Bucket]],
    resolution: dict[tuple[Any, Any], dict[int, _Bucket]],
) -> None:
    """The loop counts of the summed days, added per week (keyed (week, None)): the day rows
    grouped by the local week their day falls in, across teams and owners."""
    mondays = [date.fromisoformat(monday) for monday, _, _ in weeks]
    week = case(
        *[
            (
                and_(
                    DayCaseFigure.day >= monday.isoformat(),
                    DayCaseFigure.day < (monday + timedelta(weeks=1)).isoformat(),
                ),
                i,
            )
            for i, monday in enumerate(mondays)
        ]
    ).label("week")
    keys = (week, DayCaseFigure.measure, DayCaseFigure.bucket)
    rows = db.session.execute(
        select(
            *keys,
            *_SUMMED,
        )
        .where(
            owned_by(DayCaseFigure, workspace_id),
            DayCaseFigure.span == "day",
            rollups.in_days(DayCaseFigure.day, days),
        )
        .group_by(*keys)
    )
    weekly = (((int(row.week), None), row) for row in rows if row.week is not None)
    _file_summed(weekly, closed, first_action, resolution)


def _file_summed(
    keyed: Iterable[tuple[tuple[Any, Any], Any]],
    closed: dict[tuple[Any, Any], tuple[int, int]],
    first_action: dict[tuple[Any, Any], dict[int, _Bucket]],
    resolution: dict[tuple[Any, Any], dict[int, _Bucket]],
) -> None:
    """Add summed rows (key, row of measure, bucket, n, hit, lo, hi) to the counts and the
    duration buckets."""
    counts: dict[tuple[Any, Any], tuple[int, int]] = {}
    buckets: dict[str, dict[tuple[Any, Any], dict[int, _Bucket]]] = {
        "first_action": {},
        "resolution": {},
    }
    for key, row in keyed:
        if row.measure == "closed":
            had = counts.get(key, (0, 0))
            counts[key] = (had[0] + int(row.n), had[1] + int(row.hit))
        else:
            found = _Bucket(int(row.bucket), int(row.n), float(row.lo), float(row.hi))
            buckets[row.measure].setdefault(key, {})[found.bucket] = found
    _add_counts(closed, counts)
    _add_buckets(first_action, buckets["first_action"])
    _add_buckets(resolution, buckets["resolution"])


def _add_counts(
    into: dict[tuple[Any, Any], tuple[int, int]], found: dict[tuple[Any, Any], tuple[int, int]]
) -> None:
    for key, (n, hit) in found.items():
        had = into.get(key, (0, 0))
        into[key] = (had[0] + n, had[1] + hit)


def _add_buckets(
    into: dict[tuple[Any, Any], dict[int, _Bucket]],
    found: dict[tuple[Any, Any], dict[int, _Bucket]],
) -> None:
    for key, buckets in found.items():
        mine = into.setdefault(key, {})
        for number, b in buckets.items():
            had = mine.get(number)
            mine[number] = (
                b
                if had is None
                else _Bucket(number, had.cnt + b.cnt, min(had.lo, b.lo), max(had.hi, b.hi))
            )


def _months_within(
    days: tuple[tuple[str | None, str], ...],
) -> tuple[tuple[tuple[str | None, str], ...], tuple[tuple[str | None, str], ...]]:
    """The day ranges cut into whole months (as ranges of their first days) and the days
    left over at either end of each range."""
    months: list[tuple[str | None, str]] = []
    rest: list[tuple[str | None, str]] = []
    for first, last in days:
        end = date.fromisoformat(last)
        upto = end.replace(day=1)  # the whole months end where the last one begins
        if first is None:
            months.append((None, upto.isoformat()))
            if upto < end:
                rest.append((upto.isoformat(), last))
            continue
        start = date.fromisoformat(first)
        begin = (
            start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        )
        if begin >= upto:
            rest.append((first, last))
            continue
        months.append((begin.isoformat(), upto.isoformat()))
        if start < begin:
            rest.append((first, begin.isoformat()))
        if upto < end:
            rest.append((upto.isoformat(), last))
    return tuple(months), tuple(rest)


def _add_summed(
    workspace_id: int,
    days: tuple[tuple[str | None, str], ...],
    closed: dict[tuple[Any, Any], tuple[int, int]],
    first_action: dict[tuple[Any, Any], dict[int, _Bucket]],
    resolution: dict[tuple[Any, Any], dict[int, _Bucket]],
) -> None:
    """The loop counts of the summed days, added per (team, owner): whole months from their
    month rows, the other days from theirs."""
    months, rest = _months_within(days)
    parts = [
        and_(DayCaseFigure.span == span, rollups.in_days(DayCaseFigure.day, ranges))
        for span, ranges in (("day", rest), ("month", months))
        if ranges
    ]
    keys = (DayCaseFigure.team, DayCaseFigure.owner_id, DayCaseFigure.measure, DayCaseFigure.bucket)
    rows = db.session.execute(
        select(
            *keys,
            *_SUMMED,
        )
        .where(owned_by(DayCaseFigure, workspace_id), or_(*parts))
        .group_by(*keys)
    )
    _file_summed(
        (((row.team, row.owner_id), row) for row in rows), closed, first_action, resolution
    )


def _figures_at(
    closed_sums: dict[tuple[Any, Any], tuple[int, int]],
    first_action: dict[tuple[Any, Any], dict[int, _Bucket]],
    resolution: dict[tuple[Any, Any], dict[int, _Bucket]],
    recovered_sums: dict[tuple[Any, Any], tuple[int, int]],
    level: int | None,
    low_n: int,
) -> dict[Any, dict[str, Any]]:
    closed = _add_up(closed_sums, level)
    recovered = _add_up(recovered_sums, level)
    firsts, resolved = _median(first_action, level), _median(resolution, level)
    keys = closed if level is not None else {None: None}
    out: dict[Any, dict[str, Any]] = {}
    for key in keys:
        n, hit = closed.get(key, (0, 0))
        back_n, back_hit = recovered.get(key, (0, 0))
        out[key] = {
            "cases": n,
            "closed_loop": _proportion(hit, n, low_n, "closed_in_time"),
            "first_action_hours": _duration(firsts.get(key), low_n),
            "resolution_hours": _duration(resolved.get(key), low_n),
            "recovered": _proportion(back_hit, back_n, low_n, "recovered"),
        }
    return out
