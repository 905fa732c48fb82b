"""Response sums for a scope, in SQL: the counts and totals every survey figure is made of."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    case,
    func,
    literal,
    select,
    union_all,
)

from feedback.database import owned_by
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.metrics import plan as rollups
from feedback.metrics.models import DayFigure
from feedback.periods import zone
from feedback.responses.models import CONTEXT_COLUMNS, Response
from feedback.surveys.kinds import ANY_HIGH, ANY_LOW, HIGH_BAND, LOW_BAND

Z95 = 1.959964
KINDS = tuple(HIGH_BAND)


_FIELD = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


GROUP_COLUMNS = (*CONTEXT_COLUMNS, "channel", "survey")


@dataclass(frozen=True)
class Scope:
    """Which responses a figure counts: one workspace, one kind, a period and filters."""

    workspace_id: int
    kind: str
    start: datetime | None = None
    end: datetime | None = None
    survey_ids: tuple[int, ...] | None = None
    channel: str | None = None
    context: dict[str, str] = field(default_factory=dict)

    def between(self, start: datetime | None, end: datetime | None) -> Scope:
        return Scope(
            self.workspace_id, self.kind, start, end, self.survey_ids, self.channel, self.context
        )


def field_column(name: str) -> ColumnElement[Any]:
    """The SQL expression for a context field: its own column, or a key of the JSON."""
    if name in CONTEXT_COLUMNS or name == "channel":
        return getattr(Response, name)
    if name == "survey":
        return Response.survey_id
    if not _FIELD.fullmatch(name):
        raise Invalid("A field name is 1 to 100 letters, digits, '_', '.' or '-'.", "group_by")
    return Response.context[name].as_string()


def scope_conditions(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.kind not in KINDS:
        raise Invalid(f"Must be one of: {', '.join(KINDS)}.", "kind")
    conds = [owned_by(Response, scope.workspace_id), Response.kind == scope.kind]
    if scope.start is not None:
        conds.append(Response.submitted_at >= scope.start)
    if scope.end is not None:
        conds.append(Response.submitted_at < scope.end)
    if scope.survey_ids is not None:
        conds.append(Response.survey_id.in_(scope.survey_ids))
    if scope.channel:
        conds.append(Response.channel == scope.channel)
    for name, value in scope.context.items():
        conds.append(field_column(name) == value)
    return conds


def _in_band(band: str | tuple[str, ...]) -> ColumnElement[bool]:
    return Response.band == band if isinstance(band, str) else Response.band.in_(band)


def aggregates(kind: str | None) -> list[Any]:
    """The sums `Sums.of` reads, over responses of `kind` (None: of any kind, whose top and
    bottom bands are told apart by their names alone)."""
    high = HIGH_BAND[kind] if kind else ANY_HIGH
    low = LOW_BAND[kind] if kind else ANY_LOW
    return [
        func.count().label("n"),
        func.sum(case((_in_band(high), 1), else_=0)).label("high"),
        func.sum(case((_in_band(low), 1), else_=0)).label("low"),
        func.sum(Response.score).label("total"),
        func.sum(Response.score * Response.score).label("total_sq"),
    ]


def low_aggregates() -> list[Any]:
    """The score sums of the responses in their kind's bottom band (for what fixing is worth)."""
    in_low = _in_band(ANY_LOW)
    return [
        func.sum(case((in_low, Response.score), else_=0)).label("low_total"),
        func.sum(case((in_low, Response.score * Response.score), else_=0)).label("low_sq"),
    ]


@dataclass(frozen=True)
class Sums:
    """The additive sums a figure is computed from: what `figure` reads from an aggregate row."""

    n: int = 0
    high: int = 0
    low: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    @classmethod
    def of(cls, row: Any) -> Sums:
        return cls(
            int(row.n or 0),
            int(row.high or 0),
            int(row.low or 0),
            float(row.total or 0),
            float(row.total_sq or 0),
        )

    def __add__(self, other: Sums) -> Sums:
        return Sums(
            self.n + other.n,
            self.high + other.high,
            self.low + other.low,
            self.total + other.total,
            self.total_sq + other.total_sq,
        )

    def minus(self, other: Sums) -> Sums:
        return Sums(
            self.n - other.n,
            self.high - other.high,
            self.low - other.low,
            self.total - other.total,
            self.total_sq - other.total_sq,
        )


def _summed_columns(fields: tuple[str, ...]) -> list[Any]:
    if fields == ("channel",):
        return [DayFigure.channel]
    if fields == ("survey",):
        return [DayFigure.survey_id]
    return [DayFigure.value, DayFigure.value2][: len(fields)]


def _unindexed(column: Any) -> Any:
    """The column as an expression no index orders: SQLite would otherwise read a range of
    hours through an index on (workspace, column) to skip sorting a few groups, which means
    reading every response the workspace has."""
    if db.engine.dialect.name == "sqlite":
        return func.coalesce(column, column)
    return column


def _grouped(
    workspace_id: int,
    kinds: tuple[str, ...],
    spans: list[tuple[datetime | None, datetime | None]],
    fields: tuple[str, ...] = (),
    survey_ids: tuple[int, ...] | None = None,
    channel: str | None = None,
    context: dict[str, str] | None = None,
    skip_null: bool = False,
) -> list[dict[tuple[Any, ...], Sums]]:
    """Per [start, end) span, the sums keyed by (kind, *values of `fields`), from the daily
    sums where they hold the span's whole days and from the rows for the rest, in two
    statements. `skip_null` leaves out responses without the first field."""
    field = rollups.summed_fields(fields) if not context else None
    found = rollups.plan(workspace_id) if field is not None else None
    covers = [rollups.cover(found, start, end) for start, end in spans]
    out: list[dict[tuple[Any, ...], Sums]] = [{} for _ in spans]

    def add(row: Any) -> None:
        key = (row.kind, *(row[2 + j] for j in range(len(fields))))
        had = out[row.span].get(key)
        out[row.span][key] = Sums.of(row) if had is None else had + Sums.of(row)

    summed = []
    for i, found_cover in enumerate(covers):
        if not found_cover.days:
            continue
        columns = _summed_columns(fields)
        conds = [
            owned_by(DayFigure, workspace_id),
            DayFigure.field == field,
            rollups.in_days(DayFigure.day, found_cover.days),
            *rollups.sliced(DayFigure, kinds, survey_ids, channel),
        ]
        if skip_null:
            conds.append(columns[0].is_not(None))
        summed.append(
            select(
                literal(i).label("span"),
                DayFigure.kind.label("kind"),
                *(c.label(f"f{j}") for j, c in enumerate(columns)),
                *rollups.summed(DayFigure),
            )
            .where(*conds)
            .group_by(DayFigure.kind, *columns)
        )
    if summed:
        for row in db.session.execute(union_all(*summed)):
            add(row)
    live = []
    for i, found_cover in enumerate(covers):
        if not found_cover.live:
            continue
        for kind in kinds:
            scope = Scope(workspace_id, kind, None, None, survey_ids, channel, context or {})
            columns = [
                _unindexed(field_column(name)).label(f"f{j}") for j, name in enumerate(fields)
            ]
            conds = [
                *scope_conditions(scope),
                rollups.in_ranges(Response.submitted_at, found_cover.live),
            ]
            if skip_null:
                conds.append(field_column(fields[0]).is_not(None))
            live.append(
                select(literal(i).label("span"), literal(kind).label("kind"), *columns)
                .add_columns(*aggregates(kind))
                .where(*conds)
                .group_by(*columns)
            )
    if live:
        for row in db.session.execute(union_all(*live)):
            add(row)
    return out


def span_sums(
    workspace_id: int, kinds: tuple[str, ...], spans: list[tuple[datetime, datetime]]
) -> list[dict[str, Sums]]:
    """Each kind's sums in each [start, end) span."""
    if not spans or not kinds:
        return [{} for _ in spans]
    grouped = _grouped(workspace_id, kinds, list(spans))
    return [{key[0]: sums for key, sums in span.items()} for span in grouped]


def span_groups(
    workspace_id: int,
    kind: str,
    spans: list[tuple[datetime, datetime]],
    fields: tuple[str, ...],
) -> list[dict[tuple[Any, ...], Sums]]:
    """Per [start, end) span, the sums of `kind` per value of the context `fields` (responses
    without the first field left out)."""
    if not spans:
        return []
    grouped = _grouped(workspace_id, (kind,), list(spans), fields, skip_null=True)
    return [{key[1:]: sums for key, sums in span.items()} for span in grouped]


def responses_per_survey(workspace_id: int) -> dict[int, int]:
    """How many responses each survey of the workspace has had, all time."""
    out: dict[int, int] = {}
    grouped = _grouped(workspace_id, KINDS, [(None, None)], ("survey",))[0]
    for (_kind, survey_id), sums in grouped.items():
        out[survey_id] = out.get(survey_id, 0) + sums.n
    return out


def scope_sums(scope: Scope, fields: tuple[str, ...] = ()) -> dict[tuple[Any, ...], Sums]:
    """The sums of the scope's responses, per value of `fields` (keys without the kind)."""
    if scope.kind not in KINDS:
        raise Invalid(f"Must be one of: {', '.join(KINDS)}.", "kind")
    for name in fields:
        field_column(name)  # a bad field name is refused before anything is read
    span = _grouped(
        scope.workspace_id,
        (scope.kind,),
        [(scope.start, scope.end)],
        fields,
        scope.survey_ids,
        scope.channel,
        scope.context,
    )[0]
    return {key[1:]: sums for key, sums in span.items()}


def week_spans(
    tz_name: str, start: datetime, end: datetime
) -> list[tuple[str, datetime, datetime]]:
    """[start, end) cut at each local Monday: (that week's Monday, span start, span end) in
    naive UTC, so a weekly series is a sum per span, exact across DST changes."""
    tz = zone(tz_name)
    first = start.replace(tzinfo=UTC).astimezone(tz).date()
    monday = first - timedelta(days=first.weekday())
    out = []
    cursor = start
    while cursor < end:
        following = monday + timedelta(weeks=1)
        local = datetime(following.year, following.month, following.day, tzinfo=tz)
        edge = min(end, local.astimezone(UTC).replace(tzinfo=None))
        out.append((monday.isoformat(), cursor, edge))
        cursor, monday = edge, following
    return out
