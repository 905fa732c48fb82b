"""Theme tags counted per theme, sentiment and survey kind: from the daily sums for whole
summed days, from the tags and their responses for the rest (see feedback/metrics/plan.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, true, union_all

from feedback.database import owned_by
from feedback.extensions import db
from feedback.metrics import plan as rollups
from feedback.metrics import sums
from feedback.metrics.models import DayFigure, DayThemeFigure
from feedback.responses.models import Response
from feedback.themes.models import ResponseTheme

Key = tuple[int, str, str]  # (theme id, sentiment, kind)


@dataclass(frozen=True)
class TagSums:
    """The score sums of the responses carrying a tag, and the score sums of those of them in
    their bottom band (`scores.low` counts them)."""

    scores: sums.Sums = sums.Sums()
    low_total: float = 0.0
    low_sq: float = 0.0

    @classmethod
    def of(cls, row: Any) -> TagSums:
        return cls(sums.Sums.of(row), float(row.low_total or 0), float(row.low_sq or 0))

    def __add__(self, other: TagSums) -> TagSums:
        return TagSums(
            self.scores + other.scores, self.low_total + other.low_total, self.low_sq + other.low_sq
        )


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
            keys = (DayThemeFigure.theme_id, DayThemeFigure.sentiment, DayThemeFigure.kind)
            summed.append(
                select(
                    literal(i).label("span"),
                    *keys,
                    *rollups.summed(DayThemeFigure, (*rollups.SUMS, "low_total", "low_sq")),
                )
                .where(
                    owned_by(DayThemeFigure, workspace_id),
                    rollups.in_days(DayThemeFigure.day, part.days),
                    *rollups.sliced(DayThemeFigure, kinds, survey_ids, channel),
                )
                .group_by(*keys)
            )
        if part.live:
            conds = [
                owned_by(Response, workspace_id),
                rollups.in_ranges(Response.submitted_at, part.live),
                *rollups.sliced(Response, kinds, survey_ids, channel),
            ]
            tags = _tags_of_each()
            if _joined():
                conds.append(ResponseTheme.removed.is_(False))
            keys = (tags.c.theme_id, tags.c.sentiment, Response.kind)
            live.append(
                select(
                    literal(i).label("span"),
                    *keys,
                    *sums.aggregates(None),
                    *sums.low_aggregates(),
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
            owned_by(DayFigure, workspace_id),
            DayFigure.field == "",
            rollups.in_days(DayFigure.day, part.days),
            *rollups.sliced(DayFigure, kinds, survey_ids, channel),
        ]
        total += int(db.session.scalar(select(func.sum(DayFigure.commented)).where(*conds)) or 0)
    if part.live:
        conds = [
            owned_by(Response, workspace_id),
            Response.comment.is_not(None),
            rollups.in_ranges(Response.submitted_at, part.live),
            *rollups.sliced(Response, kinds, survey_ids, channel),
        ]
        total += int(db.session.scalar(select(func.count()).where(*conds)) or 0)
    return total
