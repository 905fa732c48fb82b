"""Theme tags counted per theme, sentiment and survey kind: from the daily sums for whole
summed days, from the tags and their responses for the rest (see feedback/rollups.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select, true, union_all

from feedback import metrics, rollups
from feedback.extensions import db
from feedback.models import DayFigure, DayThemeFigure, Response, ResponseTheme

_HIGH = tuple(set(metrics.HIGH_BAND.values()))
_LOW = tuple(set(metrics.LOW_BAND.values()))
Key = tuple[int, str, str]  # (theme id, sentiment, kind)


@dataclass(frozen=True)
class TagSums:
    """The sums of the responses carrying a tag, and of those of them in the low band."""

    n: int = 0
    high: int = 0
    low: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    low_total: float = 0.0
    low_sq: float = 0.0

    @classmethod
    def of(cls, row: Any) -> TagSums:
        return cls(
            int(row.n or 0),
            int(row.high or 0),
            int(row.low or 0),
            float(row.total or 0),
            float(row.total_sq or 0),
            float(row.low_total or 0),
            float(row.low_sq or 0),
        )

    def __add__(self, other: TagSums) -> TagSums:
        return TagSums(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[float, ...]:
        return (self.n, self.high, self.low, self.total, self.total_sq, self.low_total, self.low_sq)

    def scores(self) -> metrics.Sums:
        """The score sums alone, for `metrics.figure`."""
        return metrics.Sums(self.n, self.high, self.low, self.total, self.total_sq)


Span = tuple[datetime | None, datetime | None]


def tag_sums(
    workspace_id: int,
    spans: list[Span],
    kinds: tuple[str, ...] | None = None,
    survey_ids: tuple[int, ...] | None = None,
    channel: str | None = None,
) -> list[dict[Key, TagSums]]:
    """Per span, the sums of tagged responses keyed by (theme id, sentiment, kind); removed
    tags left out."""
    found = rollups.plan(workspace_id)
    covers = [rollups.cover(found, start, end) for start, end in spans]
    out: list[dict[Key, TagSums]] = [{} for _ in spans]
    summed, live = [], []
    for i, part in enumerate(covers):
        if part.days:
            conds = [
                DayThemeFigure.workspace_id == workspace_id,
                rollups.in_days(DayThemeFigure.day, part.days),
            ]
            if kinds is not None:
                conds.append(DayThemeFigure.kind.in_(kinds))
            if survey_ids is not None:
                conds.append(DayThemeFigure.survey_id.in_(survey_ids))
            if channel:
                conds.append(DayThemeFigure.channel == channel)
            keys = (DayThemeFigure.theme_id, DayThemeFigure.sentiment, DayThemeFigure.kind)
            summed.append(
                select(
                    literal(i).label("span"),
                    *keys,
                    *(
                        func.sum(getattr(DayThemeFigure, name)).label(name)
                        for name in ("n", "high", "low", "total", "total_sq")
                    ),
                    func.sum(DayThemeFigure.low_total).label("low_total"),
                    func.sum(DayThemeFigure.low_sq).label("low_sq"),
                )
                .where(*conds)
                .group_by(*keys)
            )
        if part.live:
            conds = [
                Response.workspace_id == workspace_id,
                rollups.in_ranges(Response.submitted_at, part.live),
            ]
            if kinds is not None:
                conds.append(Response.kind.in_(kinds))
            if survey_ids is not None:
                conds.append(Response.survey_id.in_(survey_ids))
            if channel:
                conds.append(Response.channel == channel)
            tags = _tags_of_each()
            if _joined():
                conds.append(ResponseTheme.removed.is_(False))
            in_low = Response.band.in_(_LOW)
            keys = (tags.c.theme_id, tags.c.sentiment, Response.kind)
            live.append(
                select(
                    literal(i).label("span"),
                    *keys,
                    func.count().label("n"),
                    func.sum(case((Response.band.in_(_HIGH), 1), else_=0)).label("high"),
                    func.sum(case((in_low, 1), else_=0)).label("low"),
                    func.sum(Response.score).label("total"),
                    func.sum(Response.score * Response.score).label("total_sq"),
                    func.sum(case((in_low, Response.score), else_=0)).label("low_total"),
                    func.sum(case((in_low, Response.score * Response.score), else_=0)).label(
                        "low_sq"
                    ),
                )
                .select_from(Response)
                .join(tags, ResponseTheme.response_id == Response.id if _joined() else true())
                .where(*conds)
                .group_by(*keys)
            )
    for parts in (summed, live):
        if not parts:
            continue
        for row in db.session.execute(union_all(*parts)):
            key = (row.theme_id, row.sentiment, row.kind)
            had = out[row.span].get(key)
            out[row.span][key] = TagSums.of(row) if had is None else had + TagSums.of(row)
    return out


def _joined() -> bool:
    return db.engine.dialect.name != "postgresql"


def _tags_of_each() -> Any:
    """A response's live tags. On PostgreSQL a lateral subquery, fenced by OFFSET 0 so the
    planner cannot flatten it: the few hours not yet summed then probe each response's tags
    by index, where a join would hash every tag of the workspace."""
    if _joined():
        return ResponseTheme.__table__
    return (
        select(ResponseTheme.theme_id, ResponseTheme.sentiment)
        .where(ResponseTheme.response_id == Response.id, ResponseTheme.removed.is_(False))
        .offset(0)
        .lateral("tags")
    )


def commented(
    workspace_id: int,
    span: Span,
    kinds: tuple[str, ...] | None = None,
    survey_ids: tuple[int, ...] | None = None,
    channel: str | None = None,
) -> int:
    """How many responses of the span carry a comment."""
    part = rollups.cover(rollups.plan(workspace_id), *span)
    total = 0
    if part.days:
        conds = [
            DayFigure.workspace_id == workspace_id,
            DayFigure.field == "",
            rollups.in_days(DayFigure.day, part.days),
        ]
        if kinds is not None:
            conds.append(DayFigure.kind.in_(kinds))
        if survey_ids is not None:
            conds.append(DayFigure.survey_id.in_(survey_ids))
        if channel:
            conds.append(DayFigure.channel == channel)
        total += int(db.session.scalar(select(func.sum(DayFigure.commented)).where(*conds)) or 0)
    if part.live:
        conds = [
            Response.workspace_id == workspace_id,
            Response.comment.is_not(None),
            rollups.in_ranges(Response.submitted_at, part.live),
        ]
        if kinds is not None:
            conds.append(Response.kind.in_(kinds))
        if survey_ids is not None:
            conds.append(Response.survey_id.in_(survey_ids))
        if channel:
            conds.append(Response.channel == channel)
        total += int(db.session.scalar(select(func.count()).where(*conds)) or 0)
    return total
