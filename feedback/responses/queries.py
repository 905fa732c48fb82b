"""Finding responses: the filters shared by the list, the export and the metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import selectinload

from feedback import cursors
from feedback.accounts.models import Workspace
from feedback.downloads import csv_lines
from feedback.extensions import db
from feedback.metrics.filters import RESERVED, ResponseQuery, conditions
from feedback.responses.models import CONTEXT_COLUMNS, Response

RESERVED |= {"interval", "group_by", "compare", "score_min", "score_max", "format", "theme"}


def _select(workspace: Workspace, query: ResponseQuery) -> Select[Any]:
    return (
        select(Response)
        .where(*conditions(workspace, query))
        .options(selectinload(Response.survey), selectinload(Response.respondent))
    )


def list_responses(
    workspace: Workspace, query: ResponseQuery, cursor: str | None, limit: int
) -> tuple[list[Response], str | None]:
    """Newest first, one page; the cursor names where the next page starts."""
    stmt = (
        _select(workspace, query)
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        stmt = stmt.where(
            tuple_(Response.submitted_at, Response.id) < tuple_(*cursors.decode(cursor))
        )
    rows = list(db.session.scalars(stmt))
    next_cursor = (
        cursors.encode(rows[limit - 1].submitted_at, rows[limit - 1].id)
        if len(rows) > limit
        else None
    )
    return rows[:limit], next_cursor


CSV_COLUMNS = [
    "id",
    "submitted_at",
    "survey",
    "kind",
    "score",
    "band",
    "channel",
    "comment",
    "answers",
    *CONTEXT_COLUMNS,
    "context",
    "respondent",
]


def export_csv(workspace: Workspace, query: ResponseQuery, batch: int = 1000) -> Iterator[str]:
    """The filtered responses as CSV, streamed in batches so memory stays flat."""
    return csv_lines(CSV_COLUMNS, _batches(workspace, query, batch))


def _batches(workspace: Workspace, query: ResponseQuery, batch: int) -> Iterator[list[list[Any]]]:
    last_id = None
    while True:
        stmt = _select(workspace, query).order_by(Response.id.desc()).limit(batch)
        if last_id is not None:
            stmt = stmt.where(Response.id < last_id)
        rows = list(db.session.scalars(stmt))
        if not rows:
            return
        yield [_row(r) for r in rows]
        last_id = rows[-1].id
        db.session.expunge_all()


def _row(r: Response) -> list[Any]:
    record = r.to_dict()
    return [
        r.id,
        record["submitted_at"],
        record["survey"],
        r.kind,
        r.score,
        r.band,
        r.channel,
        r.comment,
        r.answers,
        *(getattr(r, c) for c in CONTEXT_COLUMNS),
        r.context,
        record["respondent"],
    ]
