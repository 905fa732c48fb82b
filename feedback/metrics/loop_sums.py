"""The closing-the-loop sums in SQL: cases closed in time, time to close, and recovered
respondents, per team and owner."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
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

from feedback.cases.models import Case
from feedback.database import owned_by
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.metrics.formulas import wilson
from feedback.metrics.sums import Z95
from feedback.responses.models import Response
from feedback.surveys.kinds import LOW_BAND

_CLOSED_IN_TIME = ("resolved", "wont_fix")


_LOW_BANDS = tuple(LOW_BAND.values())

LOOP_GROUPS = ("team", "owner")


def _case_conditions(workspace_id: int, start: datetime | None, end: datetime | None) -> list:
    conds = [owned_by(Case, workspace_id), Case.status != "merged"]
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
# come from the same four statements. Another pair of keys may stand in for them (a week and
# nothing), under the same two names.
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


def _closed_loop(conds: list, groups: tuple = _GROUPS) -> dict[tuple[Any, Any], tuple[int, int]]:
    hit = func.sum(case((IN_TIME, 1), else_=0)).label("hit")
    stmt = select(*groups, func.count().label("n"), hit).where(*conds).group_by(*groups)
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


def _median_buckets(
    conds: list, until: Any, groups: tuple = _GROUPS
) -> dict[tuple[Any, Any], dict[int, _Bucket]]:
    """Hours from opening to `until`, counted in buckets per (team, owner)."""
    hours = _hours(until, Case.opened_at)
    bucket = _duration_bucket(hours)
    stmt = (
        select(
            *groups,
            bucket.label("bucket"),
            func.count().label("cnt"),
            func.min(hours).label("lo"),
            func.max(hours).label("hi"),
        )
        .where(*conds, until.is_not(None))
        .group_by(*groups, bucket)
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


def _recovered(conds: list, groups: tuple = _GROUPS) -> dict[tuple[Any, Any], tuple[int, int]]:
    first = Response.__table__.alias("first")
    later = Response.__table__.alias("later")
    since = func.coalesce(first.c.submitted_at, Case.opened_at)
    after = or_(
        later.c.submitted_at > since,
        and_(later.c.submitted_at == since, later.c.id > func.coalesce(Case.response_id, 0)),
    )
    # The respondent's answers after the case's own: their later responses, and the case's
    # response itself once they changed its score (an answer given when they changed it).
    responses_after = (
        select(
            Case.id.label("case_id"),
            *groups,
            later.c.band.label("band"),
            later.c.submitted_at.label("at"),
            later.c.id.label("tie"),
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
    )
    changed = (
        select(Case.id, *groups, first.c.band, Case.score_changed_at, first.c.id)
        .select_from(Case)
        .join(first, first.c.id == Case.response_id)
        .where(*conds, Case.score_changed_at.is_not(None))
    )
    answers = union_all(responses_after, changed).subquery()
    ranked = select(
        answers.c.team,
        answers.c.owner,
        answers.c.band,
        func.row_number()
        .over(partition_by=answers.c.case_id, order_by=(answers.c.at, answers.c.tie))
        .label("rn"),
    ).subquery()
    recovered = func.sum(case((ranked.c.band.not_in(_LOW_BANDS), 1), else_=0))
    stmt = (
        select(ranked.c.team, ranked.c.owner, func.count().label("n"), recovered.label("hit"))
        .where(ranked.c.rn == 1)
        .group_by(ranked.c.team, ranked.c.owner)
    )
    return _sums(stmt)
