"""Comments as product teams read them: with their themes, sentiments and highlighted words."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from feedback.extensions import db
from feedback.responses.models import Response
from feedback.themes.models import ResponseTheme, Theme
from feedback.themes.states import skipped_language


@dataclass
class Segment:
    """A run of comment text, and the theme whose evidence it is (if any)."""

    text: str
    theme: str | None = None
    sentiment: str | None = None


@dataclass
class Verbatim:
    response: Response
    tags: list[dict[str, Any]] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    # Themes the analysis leaned towards, for an analyst to decide (slug and name).
    uncertain: list[dict[str, str]] = field(default_factory=list)
    # The language the comment was left unanalysed for, by name.
    not_analysed: str | None = None


def segments(text: str, spans: list[tuple[int, int, str, str]]) -> list[Segment]:
    """Split `text` at evidence spans (start, end, theme, sentiment); overlaps keep the first."""
    out, cursor = [], 0
    for start, end, theme, sentiment in sorted(spans):
        if start < cursor or end > len(text) or start >= end:
            continue
        if start > cursor:
            out.append(Segment(text[cursor:start]))
        out.append(Segment(text[start:end], theme, sentiment))
        cursor = end
    if cursor < len(text):
        out.append(Segment(text[cursor:]))
    return out


def with_tags(responses: list[Response]) -> list[Verbatim]:
    """The responses with their live tags and highlighted comment, in one query for all."""
    ids = [r.id for r in responses]
    rows = db.session.execute(
        select(
            ResponseTheme.response_id,
            Theme.slug,
            Theme.name,
            ResponseTheme.sentiment,
            ResponseTheme.source,
            ResponseTheme.evidence,
        )
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(ResponseTheme.response_id.in_(ids), ResponseTheme.removed.is_(False))
        .order_by(Theme.position)
    ).all()
    by_response: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_response[row.response_id].append(row)
    names = _theme_names(responses)
    verbatims = []
    for response in responses:
        tags = [
            {"slug": r.slug, "name": r.name, "sentiment": r.sentiment, "source": r.source}
            for r in by_response[response.id]
        ]
        spans = [
            (e["start"], e["end"], r.slug, r.sentiment)
            for r in by_response[response.id]
            for e in (r.evidence or [])
        ]
        uncertain = [
            {"slug": slug, "name": names[(response.workspace_id, slug)]}
            for slug in response.uncertain_themes or []
            if (response.workspace_id, slug) in names
        ]
        verbatims.append(
            Verbatim(
                response,
                tags,
                segments(response.comment or "", spans),
                uncertain,
                skipped_language(response),
            )
        )
    return verbatims


def _theme_names(responses: list[Response]) -> dict[tuple[int, str], str]:
    """The names of the themes left uncertain on these responses, by (workspace, slug)."""
    slugs = {slug for r in responses for slug in r.uncertain_themes or []}
    if not slugs:
        return {}
    rows = db.session.execute(
        select(Theme.workspace_id, Theme.slug, Theme.name).where(
            Theme.workspace_id.in_({r.workspace_id for r in responses}), Theme.slug.in_(slugs)
        )
    ).all()
    return {(ws, slug): name for ws, slug, name in rows}
