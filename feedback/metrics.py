"""Every KPI, computed with SQL aggregates, for every page and the API (DESIGN.md).

NPS = % promoters - % detractors with its 95% margin of error; CSAT and PSAT = % top-two-box
with a Wilson interval and the mean; CES = mean with % easy (5-7). Figures below the
workspace's low-n threshold are flagged, never hidden.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)

from feedback import rollups
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.models import CONTEXT_COLUMNS, DayCaseFigure, DayFigure, Display, Response, Survey
from feedback.models.case import Case
from feedback.periods import zone

Z95 = 1.959964
HIGH_BAND = {"nps": "promoter", "csat": "positive", "psat": "positive", "ces": "easy"}
LOW_BAND = {"nps": "detractor", "csat": "negative", "psat": "negative", "ces": "difficult"}
KINDS = tuple(HIGH_BAND)
ANY_HIGH = tuple(sorted(set(HIGH_BAND.values())))
ANY_LOW = tuple(sorted(set(LOW_BAND.values())))
INTERVALS = ("day", "week", "month")
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
    conds = [Response.workspace_id == scope.workspace_id, Response.kind == scope.kind]
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
            DayFigure.workspace_id == workspace_id,
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


def wilson(successes: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion, as percentages."""
    if n == 0:
        return (0.0, 100.0)
    p = successes / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return (round(max(0.0, centre - half) * 100, 1), round(min(1.0, centre + half) * 100, 1))


def nps_margin(promoters: int, detractors: int, n: int) -> float:
    """95% margin of error of an NPS, in points."""
    if n == 0:
        return 0.0
    p, d = promoters / n, detractors / n
    return Z95 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / n) * 100


def _variance(total: float, total_sq: float, n: int) -> float:
    return max(0.0, (total_sq - total * total / n) / (n - 1)) if n > 1 else 0.0


def figure(kind: str, row: Any, low_n: int) -> dict[str, Any]:
    """The headline figure of `kind` from one aggregate row (n, high, low, total, total_sq)."""
    n = int(row.n or 0)
    high, low = int(row.high or 0), int(row.low or 0)
    total, total_sq = float(row.total or 0), float(row.total_sq or 0)
    out: dict[str, Any] = {"n": n, "low_confidence": n < low_n, "value": None}
    mean = round(total / n, 2) if n else None
    if kind == "nps":
        moe = nps_margin(high, low, n)
        out.update(promoters=high, passives=n - high - low, detractors=low, margin_of_error=None)
        if n:
            value = (high - low) / n * 100
            out.update(
                value=round(value, 1),
                margin_of_error=round(moe, 1),
                interval=[round(max(-100, value - moe), 1), round(min(100, value + moe), 1)],
            )
    elif kind in ("csat", "psat"):
        out.update(satisfied=high, dissatisfied=low, mean=mean)
        if n:
            out.update(value=round(high / n * 100, 1), interval=list(wilson(high, n)))
    else:
        out.update(easy=high, difficult=low, mean=mean, percent_easy=None)
        if n:
            half = Z95 * math.sqrt(_variance(total, total_sq, n) / n)
            out.update(
                value=mean,
                percent_easy=round(high / n * 100, 1),
                interval=[round(total / n - half, 2), round(total / n + half, 2)],
            )
    out["_raw"] = (n, high, low, total, total_sq)
    return out


def _public(fig: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fig.items() if not k.startswith("_")}


def summary(scope: Scope, low_n: int) -> dict[str, Any]:
    return figure(scope.kind, scope_sums(scope).get((), Sums()), low_n)


def compare(kind: str, current: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Change from `before` to `current`, and whether it is more than noise (95%)."""
    n1, h1, l1, t1, q1 = before["_raw"]
    n2, h2, l2, t2, q2 = current["_raw"]
    result: dict[str, Any] = {"change": None, "significant": False, "p_value": None}
    if n1 < 2 or n2 < 2:
        result["reason"] = "Too few responses in one of the periods to compare."
        return result
    if kind == "nps":
        se = math.hypot(nps_margin(h1, l1, n1), nps_margin(h2, l2, n2)) / Z95
        diff = (h2 - l2) / n2 * 100 - (h1 - l1) / n1 * 100
    elif kind in ("csat", "psat"):
        pooled = (h1 + h2) / (n1 + n2)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) * 100
        diff = h2 / n2 * 100 - h1 / n1 * 100
    else:
        se = math.sqrt(_variance(t1, q1, n1) / n1 + _variance(t2, q2, n2) / n2)
        diff = t2 / n2 - t1 / n1
    result["change"] = round(diff, 2 if kind == "ces" else 1)
    if se == 0:
        result.update(significant=diff != 0, p_value=0.0 if diff else 1.0)
        return result
    z = diff / se
    p_value = math.erfc(abs(z) / math.sqrt(2))
    result.update(significant=p_value < 0.05, p_value=round(p_value, 4), z=round(z, 2))
    return result


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
            DayFigure.workspace_id == scope.workspace_id,
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
    conds = [Display.workspace_id == scope.workspace_id, Survey.kind == scope.kind]
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


def public(fig: dict[str, Any]) -> dict[str, Any]:
    """A figure without its raw sums, for the API."""
    return _public(fig)


# -- closing the loop -------------------------------------------------------------------------
#
# Counted over the cases opened in the period, merged ones left out (their survivor counts):
# - closed-loop rate: closed (resolved or won't fix) by the SLA's due time, over all of them;
# - time to first action and to resolution: medians in hours, with a distribution-free 95%
#   interval from order statistics (ranks n/2 -+ 1.96 sqrt(n)/2), over those with one;
# - recovered rate: those whose respondent's next response (any survey) is out of the low
#   band (passive or promoter, neutral or better), over those whose respondent answered again.

LOOP_GROUPS = ("team", "owner")
_CLOSED_IN_TIME = ("resolved", "wont_fix")
_LOW_BANDS = tuple(LOW_BAND.values())


def _case_conditions(workspace_id: int, start: datetime | None, end: datetime | None) -> list:
    conds = [Case.workspace_id == workspace_id, Case.status != "merged"]
    if start is not None:
        conds.append(Case.opened_at >= start)
    if end is not None:
        conds.append(Case.opened_at < end)
    return conds


def _level(group_by: str | None) -> int | None:
    """Which part of a (team, owner) key a level keeps: None for the whole workspace."""
    if group_by is None:
        return None
    if group_by not in LOOP_GROUPS:
        raise Invalid(f"Must be one of: {', '.join(LOOP_GROUPS)}.", "group_by")
    return LOOP_GROUPS.index(group_by)


# Every loop figure is read per (team, owner) and added up to the level asked for: the counts
# add, and a median's bucket counts add too, so the workspace, its teams and its owners all
# come from the same four statements.
_GROUPS = (Case.team.label("team"), Case.owner_id.label("owner"))


def _hours(later: Any, earlier: Any) -> ColumnElement[Any]:
    if db.engine.dialect.name == "postgresql":
        # extract() gives numeric, slow to sort over many cases; seconds fit a double exactly.
        return cast(func.extract("epoch", later - earlier), Float) / 3600.0
    return (func.julianday(later) - func.julianday(earlier)) * 24.0


def _sums(stmt: Any) -> dict[tuple[Any, Any], tuple[int, int]]:
    """{(team, owner): (n, hit)} of an aggregate query grouped by team and owner."""
    return {
        (row.team, row.owner): (int(row.n or 0), int(row.hit or 0))
        for row in db.session.execute(stmt)
    }


def _proportion(successes: int, n: int, low_n: int, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {"n": n, name: successes, "value": None, "low_confidence": n < low_n}
    if n:
        out.update(value=round(successes / n * 100, 1), interval=list(wilson(successes, n)))
    return out


IN_TIME = and_(
    Case.status.in_(_CLOSED_IN_TIME),
    Case.resolved_at.is_not(None),
    Case.resolved_at <= Case.due_at,
)
CLOSED_AT = case((Case.status.in_(_CLOSED_IN_TIME), Case.resolved_at))


def _closed_loop(conds: list) -> dict[tuple[Any, Any], tuple[int, int]]:
    hit = func.sum(case((IN_TIME, 1), else_=0)).label("hit")
    stmt = select(*_GROUPS, func.count().label("n"), hit).where(*conds).group_by(*_GROUPS)
    return _sums(stmt)


# Durations are counted in fine buckets, so a median is read off a few hundred bucket counts
# instead of sorting every case: a quarter-hour below two days, an hour below two weeks, a day
# beyond. Each bucket keeps its smallest and largest value, so a rank at either end of its bucket
# (and so every rank when the cases are few and spread) is exact; one inside is interpolated.
_QUARTERS_UNTIL = 48.0
_HOURS_UNTIL = 336.0
_DAYS_FROM = 192 + int(_HOURS_UNTIL - _QUARTERS_UNTIL)


def _floor(value: ColumnElement[Any]) -> ColumnElement[Any]:
    if db.engine.dialect.name == "postgresql":
        return cast(func.floor(value), Integer)
    # SQLite may lack floor(); truncation is the same for the non-negative durations counted.
    return cast(value, Integer)


def _duration_bucket(hours: ColumnElement[Any]) -> ColumnElement[Any]:
    return case(
        (hours < _QUARTERS_UNTIL, _floor(hours * 4)),
        (hours < _HOURS_UNTIL, 192 + _floor(hours - _QUARTERS_UNTIL)),
        else_=_DAYS_FROM + _floor((hours - _HOURS_UNTIL) / 24.0),
    )


def _interval_ranks(n: int) -> tuple[int, int]:
    """Ranks of the distribution-free 95% interval for the median of n values: the largest r
    with n - 2r >= z sqrt(n) and the smallest with 2r - 2 - n >= z sqrt(n), else the ends."""
    root = Z95 * math.sqrt(n)
    low, high = math.floor((n - root) / 2), math.ceil((n + 2 + root) / 2)
    return max(low, 1), min(high, n)


@dataclass(frozen=True)
class _Bucket:
    """How many durations fell in one bucket, and the smallest and largest of them."""

    bucket: int
    cnt: int
    lo: float
    hi: float


@dataclass(frozen=True)
class _Spread:
    """A median and its 95% interval, read off one group's bucket counts."""

    n: int
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, buckets: list[_Bucket]) -> _Spread:
        buckets = sorted(buckets, key=lambda b: b.bucket)
        n = sum(b.cnt for b in buckets)
        ranks = _interval_ranks(n)
        middle = (n + 1) // 2, n // 2 + 1
        wanted = sorted({*ranks, *middle})
        values: dict[int, float] = {}
        before = 0
        for b in buckets:
            for rank in wanted:
                if before < rank <= before + b.cnt:
                    step = (b.hi - b.lo) / (b.cnt - 1) if b.cnt > 1 else 0.0
                    values[rank] = b.lo + step * (rank - before - 1)
            before += b.cnt
        return cls(n, (values[middle[0]] + values[middle[1]]) / 2, *(values[r] for r in ranks))


def _median_buckets(conds: list, until: Any) -> dict[tuple[Any, Any], dict[int, _Bucket]]:
    """Hours from opening to `until`, counted in buckets per (team, owner)."""
    hours = _hours(until, Case.opened_at)
    bucket = _duration_bucket(hours)
    stmt = (
        select(
            *_GROUPS,
            bucket.label("bucket"),
            func.count().label("cnt"),
            func.min(hours).label("lo"),
            func.max(hours).label("hi"),
        )
        .where(*conds, until.is_not(None))
        .group_by(*_GROUPS, bucket)
    )
    out: dict[tuple[Any, Any], dict[int, _Bucket]] = {}
    for row in db.session.execute(stmt):
        found = _Bucket(int(row.bucket), int(row.cnt), float(row.lo), float(row.hi))
        out.setdefault((row.team, row.owner), {})[found.bucket] = found
    return out


def loop_day_selects(workspace_id: int, day: Any, conds: list) -> list[Any]:
    """Selects of (workspace, "day", day, team, owner, measure, bucket, n, hit, lo, hi) over the
    cases `conds` pick, for DayCaseFigure: the closed-loop counts and both duration buckets."""
    keys = (day, Case.team, Case.owner_id)
    out = [
        select(
            literal(workspace_id),
            literal("day"),
            *keys,
            literal("closed"),
            literal(None, Integer),
            func.count(),
            func.sum(case((IN_TIME, 1), else_=0)),
            literal(None, Float),
            literal(None, Float),
        )
        .where(*conds, Case.status != "merged")
        .group_by(*keys)
    ]
    for measure, until in (("first_action", Case.first_action_at), ("resolution", CLOSED_AT)):
        hours = _hours(until, Case.opened_at)
        bucket = _duration_bucket(hours)
        out.append(
            select(
                literal(workspace_id),
                literal("day"),
                *keys,
                literal(measure),
                bucket,
                func.count(),
                literal(0),
                func.min(hours),
                func.max(hours),
            )
            .where(*conds, Case.status != "merged", until.is_not(None))
            .group_by(*keys, bucket)
        )
    return out


def _median(
    buckets: dict[tuple[Any, Any], dict[int, _Bucket]], level: int | None
) -> dict[Any, _Spread]:
    """Median hours with its 95% interval per key of the level: exact to the quarter-hour
    below two days, to the hour below two weeks, to the day beyond."""
    merged: dict[Any, dict[int, _Bucket]] = {}
    for key, by_bucket in buckets.items():
        into = merged.setdefault(key[level] if level is not None else None, {})
        for number, b in by_bucket.items():
            had = into.get(number)
            into[number] = (
                b
                if had is None
                else _Bucket(number, had.cnt + b.cnt, min(had.lo, b.lo), max(had.hi, b.hi))
            )
    return {key: _Spread.of(list(found.values())) for key, found in merged.items()}


def _duration(spread: _Spread | None, low_n: int) -> dict[str, Any]:
    n = spread.n if spread is not None else 0
    out: dict[str, Any] = {"n": n, "value": None, "low_confidence": n < low_n}
    if spread is not None and n:
        out.update(
            value=round(spread.median, 1),
            interval=[round(spread.low, 1), round(spread.high, 1)],
        )
    return out


def _recovered(conds: list) -> dict[tuple[Any, Any], tuple[int, int]]:
    first = Response.__table__.alias("first")
    later = Response.__table__.alias("later")
    since = func.coalesce(first.c.submitted_at, Case.opened_at)
    after = or_(
        later.c.submitted_at > since,
        and_(later.c.submitted_at == since, later.c.id > func.coalesce(Case.response_id, 0)),
    )
    ranked = (
        select(
            *_GROUPS,
            later.c.band.label("band"),
            func.row_number()
            .over(partition_by=Case.id, order_by=(later.c.submitted_at, later.c.id))
            .label("rn"),
        )
        .select_from(Case)
        .outerjoin(first, first.c.id == Case.response_id)
        .join(
            later,
            and_(
                later.c.workspace_id == Case.workspace_id,
                later.c.respondent_id == Case.respondent_id,
                or_(Case.response_id.is_(None), later.c.id != Case.response_id),
                after,
            ),
        )
        .where(*conds, Case.respondent_id.is_not(None))
        .subquery()
    )
    recovered = func.sum(case((ranked.c.band.not_in(_LOW_BANDS), 1), else_=0))
    stmt = (
        select(ranked.c.team, ranked.c.owner, func.count().label("n"), recovered.label("hit"))
        .where(ranked.c.rn == 1)
        .group_by(ranked.c.team, ranked.c.owner)
    )
    return _sums(stmt)


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
            Case.workspace_id == workspace_id,
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
            func.sum(DayCaseFigure.n).label("n"),
            func.sum(DayCaseFigure.hit).label("hit"),
            func.min(DayCaseFigure.lo).label("lo"),
            func.max(DayCaseFigure.hi).label("hi"),
        )
        .where(DayCaseFigure.workspace_id == workspace_id, or_(*parts))
        .group_by(*keys)
    )
    counts: dict[tuple[Any, Any], tuple[int, int]] = {}
    buckets: dict[str, dict[tuple[Any, Any], dict[int, _Bucket]]] = {
        "first_action": {},
        "resolution": {},
    }
    for row in rows:
        key = (row.team, row.owner_id)
        if row.measure == "closed":
            counts[key] = (int(row.n), int(row.hit))
        else:
            found = _Bucket(int(row.bucket), int(row.n), float(row.lo), float(row.hi))
            buckets[row.measure].setdefault(key, {})[found.bucket] = found
    _add_counts(closed, counts)
    _add_buckets(first_action, buckets["first_action"])
    _add_buckets(resolution, buckets["resolution"])


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
