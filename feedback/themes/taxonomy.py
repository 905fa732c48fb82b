"""A workspace's taxonomy and the tags on its responses (the NLP pipeline's data, not its code)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, select, update

from feedback.accounts.models import Workspace
from feedback.database import in_workspace, owned_by, use_case, utcnow
from feedback.errors import Conflict, Invalid, NotFound
from feedback.extensions import db
from feedback.lookups import forget
from feedback.responses.models import Response
from feedback.themes import states
from feedback.themes.models import ResponseTheme, Theme

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SENTIMENTS = ("positive", "negative", "neutral", "mixed")
MAX_PHRASES = 500


def seed_default_taxonomy(workspace: Workspace) -> None:
    """Copy the default software-product taxonomy into a new workspace."""
    from nlp import default_taxonomy  # spaCy loads with nlp: only where themes are needed

    for position, theme in enumerate(default_taxonomy().themes):
        db.session.add(
            Theme(
                workspace_id=workspace.id,
                slug=theme.slug,
                name=theme.name,
                description=theme.description,
                phrases=list(theme.phrases),
                exclusions=list(theme.exclusions),
                position=position,
            )
        )
    db.session.flush()


def list_themes(workspace: Workspace) -> list[Theme]:
    return list(
        db.session.scalars(in_workspace(Theme, workspace.id).order_by(Theme.position, Theme.id))
    )


def taxonomy_dict(workspace: Workspace) -> dict[str, Any]:
    """The workspace's taxonomy in the form `nlp.Taxonomy.from_dict` reads."""
    return {"themes": [t.to_dict() for t in list_themes(workspace)]}


def get_theme(workspace: Workspace, slug: str) -> Theme:
    theme = db.session.scalar(in_workspace(Theme, workspace.id).where(Theme.slug == slug))
    if theme is None:
        raise NotFound(f"No theme {slug!r} in this workspace.", "theme")
    return theme


def _phrases(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_PHRASES:
        raise Invalid(f"Must be a list of at most {MAX_PHRASES} phrases.", field)
    out = []
    for i, phrase in enumerate(value):
        if not isinstance(phrase, str) or not phrase.strip() or len(phrase) > 100:
            raise Invalid("A phrase is 1 to 100 characters.", f"{field}[{i}]")
        out.append(phrase.strip().lower())
    return list(dict.fromkeys(out))


def _apply(theme: Theme, payload: dict[str, Any]) -> None:
    allowed = {"slug", "name", "description", "phrases", "exclusions", "owner"}
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise Invalid(f"Unknown field {unknown[0]!r}.", unknown[0])
    if "name" in payload:
        name = payload["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise Invalid("Must be 1 to 100 characters.", "name")
        theme.name = name.strip()
    if "description" in payload:
        if not isinstance(payload["description"], str) or len(payload["description"]) > 1000:
            raise Invalid("Must be at most 1000 characters.", "description")
        theme.description = payload["description"]
    for field in ("phrases", "exclusions"):
        if field in payload:
            setattr(theme, field, _phrases(payload[field], field))
    if "owner" in payload:
        owner = payload["owner"]
        if owner is not None and (not isinstance(owner, str) or len(owner) > 320):
            raise Invalid("Must be an email address or null.", "owner")
        theme.owner = owner


def _changed(workspace: Workspace) -> None:
    forget("figures", workspace.id)
    # Workers compare this number with the one their analyzer was built for.
    db.session.execute(
        update(Workspace)
        .where(Workspace.id == workspace.id)
        .values(taxonomy_revision=Workspace.taxonomy_revision + 1)
    )


@use_case
def create_theme(workspace: Workspace, payload: Any) -> Theme:
    if not isinstance(payload, dict):
        raise Invalid("Send a theme object.")
    slug = payload.get("slug")
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        raise Invalid("Must be 1 to 64 of a-z, 0-9, '-' or '_'.", "slug")
    if db.session.scalar(in_workspace(Theme, workspace.id, Theme.id).where(Theme.slug == slug)):
        raise Conflict(f"The theme {slug!r} exists already.", "slug")
    position = db.session.scalar(
        in_workspace(Theme, workspace.id, func.coalesce(func.max(Theme.position), -1))
    )
    theme = Theme(workspace_id=workspace.id, slug=slug, name=slug, position=position + 1)
    _apply(theme, {k: v for k, v in payload.items() if k != "slug"})
    db.session.add(theme)
    db.session.flush()
    _changed(workspace)
    return theme


@use_case
def update_theme(workspace: Workspace, slug: str, payload: Any) -> Theme:
    """Change a theme; a new `slug` renames it and keeps every tag it has."""
    if not isinstance(payload, dict):
        raise Invalid("Send a theme object.")
    theme = get_theme(workspace, slug)
    new_slug = payload.get("slug", slug)
    if new_slug != slug:
        if not isinstance(new_slug, str) or not _SLUG.fullmatch(new_slug):
            raise Invalid("Must be 1 to 64 of a-z, 0-9, '-' or '_'.", "slug")
        taken = in_workspace(Theme, workspace.id, Theme.id).where(Theme.slug == new_slug)
        if db.session.scalar(taken):
            raise Conflict(f"The theme {new_slug!r} exists already.", "slug")
        theme.slug = new_slug
    _apply(theme, {k: v for k, v in payload.items() if k != "slug"})
    db.session.flush()
    _changed(workspace)
    return theme


@use_case
def merge_themes(workspace: Workspace, source: str, target: str) -> Theme:
    """Fold `source` into `target`: phrases and tags move over, `source` goes away."""
    if source == target:
        raise Invalid("A theme cannot be merged into itself.", "into")
    src, dst = get_theme(workspace, source), get_theme(workspace, target)
    dst.phrases = list(dict.fromkeys([*dst.phrases, *src.phrases]))
    dst.exclusions = list(dict.fromkeys([*dst.exclusions, *src.exclusions]))
    # Tags of the source on responses that have none of the target move over; the rest go.
    has_target = select(ResponseTheme.response_id).where(ResponseTheme.theme_id == dst.id)
    db.session.execute(
        update(ResponseTheme)
        .where(ResponseTheme.theme_id == src.id, ResponseTheme.response_id.not_in(has_target))
        .values(theme_id=dst.id)
    )
    db.session.execute(delete(ResponseTheme).where(ResponseTheme.theme_id == src.id))
    db.session.delete(src)
    db.session.flush()
    _changed(workspace)
    return dst


@use_case
def delete_theme(workspace: Workspace, slug: str) -> None:
    theme = get_theme(workspace, slug)
    db.session.delete(theme)
    db.session.flush()
    _changed(workspace)


def response_of(workspace: Workspace, response_id: int) -> Response:
    """The workspace's response, or NotFound naming it."""
    response = db.session.scalar(
        in_workspace(Response, workspace.id).where(Response.id == response_id)
    )
    if response is None:
        raise NotFound(f"No response {response_id}.", "response")
    return response


def settle_uncertain(response: Response, slug: str) -> None:
    """An analyst has decided on the theme: the analysis no longer offers it as uncertain."""
    left = [s for s in response.uncertain_themes or [] if s != slug]
    response.uncertain_themes = left or None


@use_case
def tag_response(
    workspace: Workspace, response_id: int, slug: str, sentiment: Any, who: str
) -> ResponseTheme:
    """An analyst's tag: it replaces the machine's for this theme and is never overwritten."""
    response = response_of(workspace, response_id)
    theme = get_theme(workspace, slug)
    if sentiment is None:
        sentiment = response.sentiment or "neutral"
    if sentiment not in SENTIMENTS:
        raise Invalid(f"Must be one of: {', '.join(SENTIMENTS)}.", "sentiment")
    tag = db.session.scalar(
        select(ResponseTheme).where(
            ResponseTheme.response_id == response.id, ResponseTheme.theme_id == theme.id
        )
    )
    if tag is None:
        tag = ResponseTheme(workspace_id=workspace.id, response_id=response.id, theme_id=theme.id)
        db.session.add(tag)
    tag.sentiment, tag.source, tag.removed = sentiment, "manual", False
    tag.confidence, tag.tagged_by, tag.created_at = 1.0, who, utcnow()
    tag.model_version = None
    settle_uncertain(response, theme.slug)
    db.session.flush()
    forget("figures", workspace.id)
    return tag


@use_case
def untag_response(workspace: Workspace, response_id: int, slug: str, who: str) -> None:
    """An analyst says the theme does not apply: kept as a manual 'removed' tag."""
    response = response_of(workspace, response_id)
    theme = get_theme(workspace, slug)
    tag = db.session.scalar(
        select(ResponseTheme).where(
            ResponseTheme.response_id == response.id, ResponseTheme.theme_id == theme.id
        )
    )
    if tag is None:
        tag = ResponseTheme(
            workspace_id=workspace.id,
            response_id=response.id,
            theme_id=theme.id,
            sentiment="neutral",
        )
        db.session.add(tag)
    tag.source, tag.removed, tag.tagged_by, tag.created_at = "manual", True, who, utcnow()
    tag.evidence = []
    settle_uncertain(response, theme.slug)
    db.session.flush()
    keep_phrases_if_uncovered(response)
    forget("figures", workspace.id)


def _offered(workspace: Workspace, response_id: int, slug: str) -> Response:
    response = response_of(workspace, response_id)
    if slug not in (response.uncertain_themes or []):
        raise Invalid(f"Theme {slug!r} is not uncertain on response {response_id}.", "theme")
    return response


@use_case
def confirm_uncertain(workspace: Workspace, response_id: int, slug: str, who: str) -> ResponseTheme:
    """The analyst says the theme applies: a manual tag, as tagging by hand makes."""
    _offered(workspace, response_id, slug)
    return tag_response(workspace, response_id, slug, None, who)


@use_case
def dismiss_uncertain(workspace: Workspace, response_id: int, slug: str, who: str) -> None:
    """The analyst says the theme does not apply: kept as untagging keeps it, so a later
    analysis does not offer it again and the next model learns from it."""
    _offered(workspace, response_id, slug)
    untag_response(workspace, response_id, slug, who)


def response_analysis(workspace: Workspace, response_id: int) -> dict[str, Any]:
    """A response's analysis: overall sentiment and each theme with its evidence and source."""
    response = response_of(workspace, response_id)
    rows = db.session.execute(
        select(ResponseTheme, Theme.slug, Theme.name)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(ResponseTheme.response_id == response.id)
        .order_by(Theme.position)
    ).all()
    return {
        "response": response.id,
        "status": response.nlp_status,
        "error": response.nlp_error if response.nlp_status == "failed" else None,
        "sentiment": response.sentiment,
        "sentiment_score": response.sentiment_score,
        "language": response.language,
        "model_version": response.model_version,
        "analysed_at": response.analysed_at.isoformat() + "Z" if response.analysed_at else None,
        "themes": [
            {
                "theme": slug,
                "name": name,
                "sentiment": tag.sentiment,
                "confidence": tag.confidence,
                "evidence": tag.evidence,
                "source": tag.source,
                "model_version": tag.model_version,
                "tagged_by": tag.tagged_by,
                "tagged_at": tag.created_at.isoformat() + "Z",
            }
            for tag, slug, name in rows
            if not tag.removed
        ],
        "removed": [slug for tag, slug, _ in rows if tag.removed],
        "uncertain": response.uncertain_themes or [],
        **states.analysis_state(response),
    }


def theme_summary(workspace: Workspace, conditions: list[Any]) -> dict[str, Any]:
    """Mentions per theme with their sentiment split, over the responses `conditions` select."""
    rows = db.session.execute(
        select(ResponseTheme.theme_id, ResponseTheme.sentiment, func.count())
        .join(Response, Response.id == ResponseTheme.response_id)
        .where(
            owned_by(ResponseTheme, workspace.id),
            ResponseTheme.removed.is_(False),
            *conditions,
        )
        .group_by(ResponseTheme.theme_id, ResponseTheme.sentiment)
    ).all()
    commented = db.session.scalar(
        select(func.count()).select_from(Response).where(Response.comment.is_not(None), *conditions)
    )
    return summary_of(workspace, [tuple(row) for row in rows], commented or 0)


def summary_of(
    workspace: Workspace, counts: list[tuple[int, str, int]], commented: int
) -> dict[str, Any]:
    """The theme summary from (theme id, sentiment, mentions) counts and the comment count."""
    themes: dict[int, dict[str, Any]] = {}
    for theme in list_themes(workspace):
        themes[theme.id] = {
            "theme": theme.slug,
            "name": theme.name,
            "mentions": 0,
            "sentiment": dict.fromkeys(SENTIMENTS, 0),
        }
    for theme_id, sentiment, count in counts:
        entry = themes.get(theme_id)
        if entry is None:
            continue
        entry["mentions"] += count
        entry["sentiment"][sentiment] = entry["sentiment"].get(sentiment, 0) + count
    for entry in themes.values():
        entry["share"] = round(100 * entry["mentions"] / commented, 1) if commented else None
    ranked = sorted(themes.values(), key=lambda e: -e["mentions"])
    return {"comments": commented, "themes": ranked}


def _themed() -> Any:
    """Whether a response carries a theme other than "other" (correlated to Response)."""
    return (
        select(ResponseTheme.id)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(
            ResponseTheme.response_id == Response.id,
            ResponseTheme.removed.is_(False),
            Theme.slug != "other",
        )
        .exists()
    )


def uncovered_comments(
    workspace: Workspace, conditions: list[Any], limit: int = 2000
) -> list[tuple[str, list[str]]]:
    """The newest comments no theme but "other" covers (where new themes are found), with the
    phrases kept for them. Phrases are kept for every comment analysis found uncovered and
    for one an analyst uncovers, so their index holds few rows, read newest first."""
    rows = db.session.execute(
        select(Response.comment, Response.phrases)
        .where(
            Response.phrases.is_not(None),
            Response.comment.is_not(None),
            Response.nlp_status == "done",
            ~_themed(),
            *conditions,
        )
        .order_by(Response.submitted_at.desc())
        .limit(limit)
    )
    return [(row.comment, row.phrases) for row in rows]


def keep_phrases_if_uncovered(response: Response) -> None:
    """Give a comment its phrases once no theme covers it any more (an analyst's untag)."""
    if response.phrases is not None or not response.comment or response.nlp_status != "done":
        return
    if db.session.scalar(select(_themed().where(Response.id == response.id))):
        return
    from nlp.discover import phrase_sets

    response.phrases = phrase_sets([response.comment])[0][:200]
