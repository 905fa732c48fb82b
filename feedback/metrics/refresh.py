"""Summing closed days into DayFigure and DayThemeFigure, and summing changed days again.

The mark moves in two steps, so that no change slips between the sums and the triggers: a run
announces the next mark (`pending_until`, from which on the triggers file changes to the days
before it), and a run at least GRACE later sums those days and moves `rolled_until`. A change
that began before the announcement has committed by then (requests take milliseconds), so the
sums see it; one that begins after is filed, and its day is summed again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, literal, select, text

from feedback.accounts.models import Workspace
from feedback.cases.models import Case
from feedback.database import owned_by, utcnow
from feedback.extensions import db
from feedback.metrics import loop_sums, series
from feedback.metrics.models import (
    FIELDS,
    PAIRS,
    DayCaseFigure,
    DayFigure,
    DayThemeFigure,
    RollupMark,
    RollupStale,
)
from feedback.metrics.sums import aggregates, low_aggregates
from feedback.periods import local_day, midnight, zone
from feedback.responses.models import Response
from feedback.themes.models import ResponseTheme

GRACE = timedelta(seconds=30)
CHUNK_DAYS = 31  # days summed per statement (and per commit) on the first run


def refresh_all(now: datetime | None = None, grace: timedelta = GRACE) -> int:
    """Refresh every workspace's sums; the number of days summed."""
    total = 0
    for workspace in db.session.scalars(select(Workspace).order_by(Workspace.id)).all():
        total += refresh(workspace, now, grace)
    return total


def refresh(workspace: Workspace, now: datetime | None = None, grace: timedelta = GRACE) -> int:
    """Sum the days that changed, and move the mark to the start of today (local) once it
    has been announced for `grace`; commits. The number of days summed."""
    now = now or utcnow()
    tz = zone(workspace.timezone)
    mark = db.session.get(RollupMark, workspace.id)
    if mark is None or mark.timezone != workspace.timezone:
        reset(workspace)
        mark = RollupMark(workspace_id=workspace.id, timezone=workspace.timezone)
        db.session.add(mark)
        db.session.commit()
    target = midnight(local_day(now, tz), tz)
    summed = 0
    if mark.rolled_until != target:
        if mark.pending_until != target:
            mark.pending_until, mark.pending_at = target, now
            db.session.commit()
        if mark.pending_at is not None and now - mark.pending_at >= grace:
            summed += _advance(workspace, mark, target)
    summed += _resum_stale(workspace, mark)
    return summed


def reset(workspace: Workspace) -> None:
    """Forget the workspace's sums (its timezone changed: the days are cut elsewhere)."""
    for model in (DayFigure, DayThemeFigure, DayCaseFigure, RollupStale):
        db.session.execute(delete(model).where(owned_by(model, workspace.id)))
    db.session.execute(delete(RollupMark).where(owned_by(RollupMark, workspace.id)))


def _advance(workspace: Workspace, mark: RollupMark, target: datetime) -> int:
    tz = zone(workspace.timezone)
    last = local_day(target, tz)
    if mark.rolled_until is not None:
        first = local_day(mark.rolled_until, tz)
    else:
        # From the first response or case, whichever came first: a case opened by hand (or
        # brought in with a history) may be older than any response.
        found = [
            db.session.scalar(select(func.min(column)).where(owned_by(model, workspace.id)))
            for model, column in ((Response, Response.submitted_at), (Case, Case.opened_at))
        ]
        earliest = min((moment for moment in found if moment is not None), default=None)
        first = local_day(earliest, tz) if earliest is not None else last
    cursor = first
    while cursor < last:
        following = min(cursor + timedelta(days=CHUNK_DAYS), last)
        _lock(workspace)
        _sum_days(workspace, cursor, following, complete_before=following)
        db.session.commit()
        cursor = following
    mark.rolled_until, mark.pending_until, mark.pending_at = target, None, None
    db.session.commit()
    return (last - first).days


def _resum_stale(workspace: Workspace, mark: RollupMark) -> int:
    """Sum again the summed days filed as changed, then drop the filings not changed since."""
    if mark.rolled_until is None:
        return 0
    tz = zone(workspace.timezone)
    until_day = local_day(mark.rolled_until, tz)
    filed = db.session.execute(
        select(RollupStale.day, RollupStale.seq).where(owned_by(RollupStale, workspace.id))
    ).all()
    days: set[date] = set()
    done = []
    for day, seq in filed:
        start = datetime.fromisoformat(day)
        touched = {local_day(start, tz), local_day(start + timedelta(days=1, microseconds=-1), tz)}
        if all(d >= until_day for d in touched):
            continue  # not summed yet: the next advance reads it
        days |= {d for d in touched if d < until_day}
        done.append((day, seq))
    _lock(workspace)
    for day in sorted(days):
        _sum_days(workspace, day, day + timedelta(days=1), complete_before=until_day)
    for day, seq in done:
        # A filing changed since it was read stays: its day is summed again next time.
        db.session.execute(
            delete(RollupStale).where(
                owned_by(RollupStale, workspace.id),
                RollupStale.day == day,
                RollupStale.seq == seq,
            )
        )
    db.session.commit()
    if done and db.engine.dialect.name == "postgresql":
        # Every filing of a busy day rewrote its row; readers scan this small table on every
        # figure, so its dead rows go now rather than whenever autovacuum comes by.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM rollup_stale"))
    return len(days)


def _lock(workspace: Workspace) -> None:
    """Hold the workspace's mark for the transaction: two workers summing the same day one
    after the other replace each other's sums instead of adding a second copy."""
    db.session.execute(
        select(RollupMark.workspace_id).where(owned_by(RollupMark, workspace.id)).with_for_update()
    )


def _sum_days(workspace: Workspace, first: date, last: date, complete_before: date) -> None:
    """Replace the sums of local days [first, last) with sums of the rows, and those of the
    months they touch that are summed to their end (before `complete_before`)."""
    tz = zone(workspace.timezone)
    start, end = midnight(first, tz), midnight(last, tz)
    _clear_days(workspace, first, last)
    keys = (
        _day(workspace.timezone, start, end),
        Response.kind,
        Response.survey_id,
        Response.channel,
    )
    in_range = and_(
        owned_by(Response, workspace.id),
        Response.submitted_at >= start,
        Response.submitted_at < end,
    )
    _sum_responses(workspace, keys, in_range)
    _sum_tags(workspace, keys, in_range)
    _sum_cases(workspace, start, end)
    _sum_case_months(workspace, first, last, complete_before)


def _clear_days(workspace: Workspace, first: date, last: date) -> None:
    for model in (DayFigure, DayThemeFigure, DayCaseFigure):
        db.session.execute(
            delete(model).where(
                owned_by(model, workspace.id),
                model.day >= first.isoformat(),
                model.day < last.isoformat(),
                *([DayCaseFigure.span == "day"] if model is DayCaseFigure else []),
            )
        )


_DAY_COLUMNS = ["workspace_id", "day", "kind", "survey_id", "channel"]
_SUMS = ["n", "high", "low", "total", "total_sq"]


def _sum_responses(workspace: Workspace, keys: tuple[Any, ...], in_range: Any) -> None:
    """One DayFigure row per day, kind, survey and channel, for all responses and per field
    and pair of fields."""
    sums = aggregates(None)
    commented = func.sum(case((Response.comment.is_not(None), 1), else_=0)).label("commented")
    groups: list[tuple[str, tuple[Any, ...]]] = [("", ())]
    groups += [(name, (getattr(Response, name),)) for name in FIELDS]
    groups += [(",".join(pair), tuple(getattr(Response, n) for n in pair)) for pair in PAIRS]
    for name, columns in groups:
        values = [*columns, *([literal(None)] * (2 - len(columns)))]
        stmt = (
            select(literal(workspace.id), *keys, literal(name), *values, *sums, commented)
            .where(in_range)
            .group_by(*keys, *columns)
        )
        names = [*_DAY_COLUMNS, "field", "value", "value2", *_SUMS, "commented"]
        db.session.execute(insert(DayFigure).from_select(names, stmt))


def _sum_tags(workspace: Workspace, keys: tuple[Any, ...], in_range: Any) -> None:
    """One DayThemeFigure row per day, kind, survey, channel, theme and sentiment."""
    tags = (
        select(
            literal(workspace.id),
            *keys,
            ResponseTheme.theme_id,
            ResponseTheme.sentiment,
            *aggregates(None),
            *low_aggregates(),
        )
        .join(Response, Response.id == ResponseTheme.response_id)
        .where(in_range, owned_by(ResponseTheme, workspace.id), ResponseTheme.removed.is_(False))
        .group_by(*keys, ResponseTheme.theme_id, ResponseTheme.sentiment)
    )
    names = [*_DAY_COLUMNS, "theme_id", "sentiment", *_SUMS, "low_total", "low_sq"]
    db.session.execute(insert(DayThemeFigure).from_select(names, tags))


def _sum_cases(workspace: Workspace, start: datetime, end: datetime) -> None:
    day = series.bucket("day", workspace.timezone, start, end, Case.opened_at).label("day")
    conds = [owned_by(Case, workspace.id), Case.opened_at >= start, Case.opened_at < end]
    columns = ["workspace_id", "span", "day", "team", "owner_id", "measure", "bucket", "n"]
    for stmt in loop_sums.loop_day_selects(workspace.id, day, conds):
        db.session.execute(insert(DayCaseFigure).from_select([*columns, "hit", "lo", "hi"], stmt))


def _sum_case_months(workspace: Workspace, first: date, last: date, before: date) -> None:
    """Add up the day rows of each whole month touching [first, last) into its month row."""
    month = first.replace(day=1)
    while month < last:
        following = (month + timedelta(days=32)).replace(day=1)
        db.session.execute(
            delete(DayCaseFigure).where(
                owned_by(DayCaseFigure, workspace.id),
                DayCaseFigure.span == "month",
                DayCaseFigure.day == month.isoformat(),
            )
        )
        if following <= before:
            keys = (
                DayCaseFigure.team,
                DayCaseFigure.owner_id,
                DayCaseFigure.measure,
                DayCaseFigure.bucket,
            )
            stmt = (
                select(
                    literal(workspace.id),
                    literal("month"),
                    literal(month.isoformat()),
                    *keys,
                    func.sum(DayCaseFigure.n),
                    func.sum(DayCaseFigure.hit),
                    func.min(DayCaseFigure.lo),
                    func.max(DayCaseFigure.hi),
                )
                .where(
                    owned_by(DayCaseFigure, workspace.id),
                    DayCaseFigure.span == "day",
                    DayCaseFigure.day >= month.isoformat(),
                    DayCaseFigure.day < following.isoformat(),
                )
                .group_by(*keys)
            )
            columns = ["workspace_id", "span", "day", "team", "owner_id", "measure", "bucket"]
            db.session.execute(
                insert(DayCaseFigure).from_select([*columns, "n", "hit", "lo", "hi"], stmt)
            )
        month = following


def _day(tz_name: str, start: datetime, end: datetime) -> Any:
    return series.bucket("day", tz_name, start, end).label("day")
