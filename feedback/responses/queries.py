"""Finding responses: the filters shared by the list, the export and the metrics."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select, tuple_
from sqlalchemy.orm import selectinload

from feedback.accounts.models import Workspace
from feedback.database import in_workspace
from feedback.errors import Invalid, row_id, whole_number
from feedback.extensions import db
from feedback.metrics.periods import NAMED, Period, custom, resolve
from feedback.metrics.sums import field_column
from feedback.responses.models import CONTEXT_COLUMNS, Response
from feedback.responses.recording import RESPONSE_CHANNELS
from feedback.surveys.kinds import ALL_BANDS, KINDS, MAX_SCORE
from feedback.surveys.models import Survey
from feedback.themes.models import ResponseTheme, Theme

RESERVED = {"survey", "period", "from", "to", "band", "channel", "kind", "q", "cursor", "limit"}
RESERVED |= {"interval", "group_by", "compare", "score_min", "score_max", "format", "theme"}


@dataclass
class ResponseQuery:
    survey_ids: tuple[int, ...] | None = None
    period: Period | None = None
    bands: tuple[str, ...] = ()
    channel: str | None = None
    kind: str | None = None
    text: str | None = None
    score_min: int | None = None
    score_max: int | None = None
    theme: str | None = None
    context: dict[str, str] = field(default_factory=dict)


def _score_arg(args: Mapping[str, str], name: str) -> int | None:
    raw = args.get(name)
    if raw in (None, ""):
        return None
    return whole_number(raw, name, 0, MAX_SCORE)


def parse_period(workspace: Workspace, args: Mapping[str, str], default: str = "all") -> Period:
    if args.get("from") or args.get("to"):
        if not (args.get("from") and args.get("to")):
            raise Invalid(
                "Give both from and to, or a named period.",
                "from" if not args.get("from") else "to",
            )
        return custom(args["from"], args["to"], workspace.timezone)
    name = args.get("period") or default
    if name not in NAMED:
        raise Invalid(f"Unknown period {name!r}; use one of: {', '.join(NAMED)}.", "period")
    return resolve(name, workspace.timezone)


def parse_query(workspace: Workspace, args: Mapping[str, str]) -> ResponseQuery:
    """Turn query-string filters into a ResponseQuery; unknown values are named in the error."""
    query = ResponseQuery(period=parse_period(workspace, args))
    if args.get("survey"):
        public_ids = [s for s in args["survey"].split(",") if s]
        rows = db.session.execute(
            in_workspace(Survey, workspace.id, Survey.public_id, Survey.id).where(
                Survey.public_id.in_(public_ids)
            )
        ).all()
        found = {public_id: sid for public_id, sid in rows}
        missing = [s for s in public_ids if s not in found]
        if missing:
            raise Invalid(f"No survey {missing[0]!r} in this workspace.", "survey")
        query.survey_ids = tuple(found.values())
    if args.get("band"):
        bands = tuple(b for b in args["band"].split(",") if b)
        for band in bands:
            if band not in ALL_BANDS:
                raise Invalid(f"Unknown band {band!r}; use one of: {', '.join(ALL_BANDS)}.", "band")
        query.bands = bands
    if args.get("channel"):
        if args["channel"] not in RESPONSE_CHANNELS:
            raise Invalid(f"Must be one of: {', '.join(RESPONSE_CHANNELS)}.", "channel")
        query.channel = args["channel"]
    if args.get("kind"):
        if args["kind"] not in KINDS:
            raise Invalid(f"Must be one of: {', '.join(KINDS)}.", "kind")
        query.kind = args["kind"]
    if args.get("q"):
        if len(args["q"]) > 200:
            raise Invalid("A search is at most 200 characters.", "q")
        query.text = args["q"]
    query.score_min, query.score_max = _score_arg(args, "score_min"), _score_arg(args, "score_max")
    if args.get("theme"):
        slug = args["theme"]
        known = db.session.scalar(
            in_workspace(Theme, workspace.id, Theme.id).where(Theme.slug == slug)
        )
        if known is None:
            raise Invalid(f"No theme {slug!r} in this workspace.", "theme")
        query.theme = slug
    for name, value in args.items():
        if name in RESERVED:
            continue
        key = name.removeprefix("context.")
        if name.startswith("context.") or name in CONTEXT_COLUMNS:
            field_column(key)  # validates the name
            query.context[key] = value
        else:
            raise Invalid(f"Unknown filter {name!r}; context fields go as context.{name}.", name)
    return query


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(workspace: Workspace, query: ResponseQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Response.workspace_id == workspace.id]
    period = query.period
    if period is not None and period.start is not None:
        conds.append(Response.submitted_at >= period.start)
    if period is not None and period.end is not None:
        conds.append(Response.submitted_at < period.end)
    if query.survey_ids is not None:
        conds.append(Response.survey_id.in_(query.survey_ids))
    if query.bands:
        conds.append(Response.band.in_(query.bands))
    if query.channel:
        conds.append(Response.channel == query.channel)
    if query.kind:
        conds.append(Response.kind == query.kind)
    if query.text:
        conds.append(Response.comment.ilike(f"%{_like_escape(query.text)}%", escape="\\"))
    if query.score_min is not None:
        conds.append(Response.score >= query.score_min)
    if query.score_max is not None:
        conds.append(Response.score <= query.score_max)
    for name, value in query.context.items():
        conds.append(field_column(name) == value)
    if query.theme:
        tagged = (
            select(ResponseTheme.response_id)
            .join(Theme, Theme.id == ResponseTheme.theme_id)
            .where(
                Theme.workspace_id == workspace.id,
                Theme.slug == query.theme,
                ResponseTheme.removed.is_(False),
            )
        )
        conds.append(Response.id.in_(tagged))
    return conds


def _select(workspace: Workspace, query: ResponseQuery) -> Select[Any]:
    return (
        select(Response)
        .where(*conditions(workspace, query))
        .options(selectinload(Response.survey), selectinload(Response.respondent))
    )


def _encode_cursor(row: Response) -> str:
    position = {"at": row.submitted_at.isoformat(), "id": row.id}
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        at, last_id = datetime.fromisoformat(position["at"]), row_id(position["id"], "cursor")
    except (ValueError, KeyError, TypeError, Invalid) as exc:
        raise Invalid("The cursor is not one this API gave out.", "cursor") from exc
    if at.tzinfo is not None:
        raise Invalid("The cursor is not one this API gave out.", "cursor")
    return at, last_id


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
            tuple_(Response.submitted_at, Response.id) < tuple_(*_decode_cursor(cursor))
        )
    rows = list(db.session.scalars(stmt))
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
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
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ cannot start a formula."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def export_csv(workspace: Workspace, query: ResponseQuery, batch: int = 1000) -> Iterator[str]:
    """The filtered responses as CSV, streamed in batches so memory stays flat."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    last_id = None
    while True:
        stmt = _select(workspace, query).order_by(Response.id.desc()).limit(batch)
        if last_id is not None:
            stmt = stmt.where(Response.id < last_id)
        rows = list(db.session.scalars(stmt))
        if not rows:
            return
        buffer.seek(0)
        buffer.truncate()
        for r in rows:
            record = r.to_dict()
            writer.writerow(
                csv_cell(v)
                for v in [
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
            )
        yield buffer.getvalue()
        last_id = rows[-1].id
        db.session.expunge_all()
