"""A figure over time and across a field: its series by day, week or month, its breakdown,
and the response rate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    select,
)

from feedback.database import owned_by
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.metrics import plan as rollups
from feedback.metrics.formulas import _public, figure, wilson
from feedback.metrics.models import DayFigure
from feedback.metrics.sums import Scope, Sums, aggregates, scope_conditions, scope_sums
from feedback.periods import zone
from feedback.responses.models import Display, Response
from feedback.surveys.models import Survey

INTERVALS = ("day", "week", "month")


def _offsets(tz_name: str, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """UTC offsets (seconds) in force from each UTC instant on, between start and end."""
    tz = zone(tz_name)

    def offset(moment: datetime) -> int:
        delta = moment.replace(tzinfo=UTC).astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta else 0

    segments = [(start, offset(start))]
    cursor = start
    while cursor < end:
        step = min(cursor + timedelta(days=1), end)
        if offset(step) != segments[-1][1]:
            low, high = cursor, step  # the change lies in (low, high]: bisect to the minute
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                low, high = (mid, high) if offset(mid) == segments[-1][1] else (low, mid)
            segments.append((high, offset(high)))
        cursor = step
    return segments


def _bucket(
    interval: str, tz_name: str, start: datetime, end: datetime, column: Any = None
) -> ColumnElement[Any]:
    column = Response.submitted_at if column is None else column
    if db.engine.dialect.name == "postgresql":
        local = func.timezone(tz_name, func.timezone("UTC", column))
        return func.to_char(func.date_trunc(interval, local), "YYYY-MM-DD")
    # SQLite has no timezones: shift by the offset in force at each instant, in SQL.
    segments = _offsets(tz_name, start, end)
    shifted = [func.datetime(column, f"{off:+d} seconds") for _, off in segments]
    local = shifted[0]
    if len(segments) > 1:
        whens = [(column < segments[i + 1][0], shifted[i]) for i in range(len(segments) - 1)]
        local = case(*whens, else_=shifted[-1])
    if interval == "day":
        return func.date(local)
    if interval == "week":
        return func.date(local, "weekday 0", "-6 days")
    return func.strftime("%Y-%m-01", local)


def bucket(
    interval: str, tz_name: str, start: datetime, end: datetime, column: Any = None
) -> ColumnElement[Any]:
    """The local day, Monday of the week, or first of the month of a response (or of another
    time `column`), as SQL text."""
    return _bucket(interval, tz_name, start, end, column)


def _bounds(scope: Scope) -> tuple[datetime, datetime] | None:
    if scope.start is not None and scope.end is not None:
        return scope.start, scope.end
    low, high = db.session.execute(
        select(func.min(Response.submitted_at), func.max(Response.submitted_at)).where(
            *scope_conditions(scope)
        )
    ).one()
    if low is None:
        return None
    return scope.start or low, scope.end or high + timedelta(seconds=1)


def _label(interval: str, day: date) -> str:
    if interval == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if interval == "month":
        return day.replace(day=1).isoformat()
    return day.isoformat()


def series(scope: Scope, interval: str, tz_name: str, low_n: int) -> list[dict[str, Any]]:
    """The figure per day, week (from Monday) or month, in the workspace's timezone: whole
    summed days from the daily sums, bucketed here; the rest from the rows, bucketed in SQL."""
    if interval not in INTERVALS:
        raise Invalid(f"Must be one of: {', '.join(INTERVALS)}.", "interval")
    bounds = _bounds(scope)
    if bounds is None:
        return []
    found = rollups.plan(scope.workspace_id) if not scope.context else None
    part = rollups.cover(found, *bounds)
    buckets: dict[str, Sums] = {}

    def add(label: str, row: Any) -> None:
        buckets[label] = buckets.get(label, Sums()) + Sums.of(row)

    if part.days:
        conds = [
            owned_by(DayFigure, scope.workspace_id),
            DayFigure.field == "",
            rollups.in_days(DayFigure.day, part.days),
            *rollups.sliced(DayFigure, (scope.kind,), scope.survey_ids, scope.channel),
        ]
        rows = db.session.execute(
            select(DayFigure.day, *rollups.summed(DayFigure)).where(*conds).group_by(DayFigure.day)
        )
        for row in rows:
            add(_label(interval, date.fromisoformat(row.day)), row)
    if part.live:
        bucket = _bucket(interval, tz_name, *bounds).label("bucket")
        rows = db.session.execute(
            select(bucket, *aggregates(scope.kind))
            .where(
                *scope_conditions(scope.between(None, None)),
                rollups.in_ranges(Response.submitted_at, part.live),
            )
            .group_by(bucket)
        )
        for row in rows:
            add(str(row.bucket)[:10], row)
    return [
        {"bucket": label, **_public(figure(scope.kind, buckets[label], low_n))}
        for label in sorted(buckets)
        if buckets[label].n
    ]


def breakdown(scope: Scope, field_name: str, low_n: int, limit: int = 100) -> list[dict[str, Any]]:
    """The figure per value of a context field (plan, agent, team, ...), largest groups first."""
    sums = scope_sums(scope, (field_name,))
    ranked = sorted(sums.items(), key=lambda item: -item[1].n)[:limit]
    names: dict[Any, str] = {}
    if field_name == "survey":
        ids = [key[0] for key, _ in ranked]
        names = dict(
            db.session.execute(select(Survey.id, Survey.public_id).where(Survey.id.in_(ids))).all()
        )
    return [
        {"group": names.get(key[0], key[0]), **_public(figure(scope.kind, value, low_n))}
        for key, value in ranked
    ]


def response_rate(scope: Scope) -> dict[str, Any]:
    """Widget responses per survey shown, in the same period and surveys."""
    conds = [owned_by(Display, scope.workspace_id), Survey.kind == scope.kind]
    if scope.start is not None:
        conds.append(Display.shown_at >= scope.start)
    if scope.end is not None:
        conds.append(Display.shown_at < scope.end)
    if scope.survey_ids is not None:
        conds.append(Display.survey_id.in_(scope.survey_ids))
    displays = db.session.scalar(
        select(func.count())
        .select_from(Display)
        .join(Survey, Survey.id == Display.survey_id)
        .where(and_(*conds))
    )
    widget = Scope(
        scope.workspace_id, scope.kind, scope.start, scope.end, scope.survey_ids, "widget"
    )
    answered = scope_sums(widget).get((), Sums()).n
    out: dict[str, Any] = {"displays": displays, "responses": answered, "value": None}
    if displays:
        out["value"] = round(min(answered, displays) / displays * 100, 1)
        out["interval"] = list(wilson(min(answered, displays), displays))
    return out
