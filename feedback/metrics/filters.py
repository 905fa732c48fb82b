"""Which responses a figure, a list or an export counts: the filters all of them share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select

from feedback.accounts.models import Workspace
from feedback.database import in_workspace, owned_by
from feedback.errors import Invalid, whole_number
from feedback.extensions import db
from feedback.metrics.sums import field_column
from feedback.periods import NAMED, Period, custom, resolve
from feedback.responses.models import CHANNELS, CONTEXT_COLUMNS, Response
from feedback.surveys.kinds import ALL_BANDS, KINDS, MAX_SCORE
from feedback.surveys.models import Survey
from feedback.themes.models import ResponseTheme, Theme

RESERVED = {
    "survey",
    "period",
    "from",
    "to",
    "band",
    "channel",
    "kind",
    "q",
    "cursor",
    "limit",
    "uncertain",
}
_YES, _NO = ("1", "true", "yes"), ("0", "false", "no")


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
    # Only comments with a theme the analysis left for an analyst to confirm.
    uncertain: bool = False
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
        if args["channel"] not in CHANNELS:
            raise Invalid(f"Must be one of: {', '.join(CHANNELS)}.", "channel")
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
    if args.get("uncertain"):
        if args["uncertain"].lower() not in (*_YES, *_NO):
            raise Invalid("Give uncertain=1 for comments with an uncertain theme.", "uncertain")
        query.uncertain = args["uncertain"].lower() in _YES
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
    conds: list[ColumnElement[bool]] = [owned_by(Response, workspace.id)]
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
    if query.uncertain:
        conds.append(Response.uncertain_themes.is_not(None))
    if query.theme:
        tagged = (
            select(ResponseTheme.response_id)
            .join(Theme, Theme.id == ResponseTheme.theme_id)
            .where(
                owned_by(Theme, workspace.id),
                Theme.slug == query.theme,
                ResponseTheme.removed.is_(False),
            )
        )
        conds.append(Response.id.in_(tagged))
    return conds
