"""The themes page's figures: mentions and sentiment, weekly trend, emerging phrases, models."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from feedback.accounts.models import Workspace
from feedback.database import owned_by, use_case, utcnow
from feedback.extensions import db
from feedback.lookups import kept
from feedback.metrics import filters
from feedback.periods import Period, midnight, previous, zone
from feedback.themes import figures as theme_figures
from feedback.themes import states, training
from feedback.themes import taxonomy as themes
from feedback.themes.impact import impact_report
from feedback.themes.models import NlpModel, Theme

TREND_WEEKS = 12


def _mondays(workspace: Workspace, now: datetime | None = None) -> list[date]:
    """The first local days of the last TREND_WEEKS weeks, oldest first."""
    tz = zone(workspace.timezone)
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=i) for i in range(TREND_WEEKS - 1, -1, -1)]


def weekly_mentions(workspace: Workspace, now: datetime | None = None) -> dict[str, list[int]]:
    """Mentions per theme slug for each of the last TREND_WEEKS weeks (zeros included)."""
    tz = zone(workspace.timezone)
    spans = [
        (midnight(monday, tz), midnight(monday + timedelta(weeks=1), tz))
        for monday in _mondays(workspace, now)
    ]
    slugs = dict(
        db.session.execute(select(Theme.id, Theme.slug).where(owned_by(Theme, workspace.id))).all()
    )
    out: dict[str, list[int]] = {}
    for i, week in enumerate(theme_figures.tag_sums(workspace.id, spans)):
        for (theme_id, _sentiment, _kind), sums in week.items():
            slug = slugs.get(theme_id)
            if slug is not None:
                out.setdefault(slug, [0] * TREND_WEEKS)[i] += sums.scores.n
    return out


def query_summary(workspace: Workspace, query: filters.ResponseQuery) -> dict[str, Any]:
    """The theme summary of the responses a query selects: from the daily sums when it filters
    by period, survey, channel and kind alone, else from the rows."""
    if (
        query.bands
        or query.text
        or query.score_min is not None
        or query.score_max is not None
        or query.context
        or query.theme
        or query.uncertain
    ):
        return themes.theme_summary(workspace, filters.conditions(workspace, query))
    span = (query.period.start, query.period.end) if query.period else (None, None)
    kinds = (query.kind,) if query.kind else None
    sums = theme_figures.tag_sums(workspace.id, [span], kinds, query.survey_ids, query.channel)[0]
    counts: dict[tuple[int, str], int] = {}
    for (theme_id, sentiment, _kind), value in sums.items():
        counts[(theme_id, sentiment)] = counts.get((theme_id, sentiment), 0) + value.scores.n
    commented = theme_figures.commented(workspace.id, span, kinds, query.survey_ids, query.channel)
    return themes.summary_of(workspace, [(t, s, c) for (t, s), c in counts.items()], commented)


def theme_page(workspace: Workspace, kind: str, period: Period) -> dict[str, Any]:
    """Each theme with its mentions, sentiment split, weekly trend and impact on `kind`; kept
    for a minute, as every view would otherwise read the same sums again."""
    key = ("figures", workspace.id, "themes", kind, period.start, period.end)
    return kept(key, lambda: _theme_page(workspace, kind, period))


def _theme_page(workspace: Workspace, kind: str, period: Period) -> dict[str, Any]:
    summary = query_summary(workspace, filters.ResponseQuery(period=period))
    trend = weekly_mentions(workspace)
    impact_figures = impact_report(workspace, kind, period)
    impact = {row["theme"]: row for row in impact_figures["themes"]}
    rows = []
    for entry in summary["themes"]:
        rows.append(
            {
                **entry,
                "trend": trend.get(entry["theme"], [0] * TREND_WEEKS),
                "impact": impact.get(entry["theme"]),
            }
        )
    return {
        "comments": summary["comments"],
        "themes": rows,
        "score": impact_figures["score"],
        # Left out of every figure above: for an analyst to decide, or not read at all.
        "undecided": states.undecided(workspace, period),
    }


def emerging(workspace: Workspace, period: Period, limit: int = 10) -> list[Any]:
    """Topics of comments no theme covers that grew significantly against the periods before;
    kept for a minute, as every view would otherwise rank the same phrases again."""
    key = ("figures", workspace.id, "emerging", period.start, period.end, limit)
    return kept(key, lambda: _emerging(workspace, period, limit))


def _emerging(workspace: Workspace, period: Period, limit: int) -> list[Any]:
    return discover(workspace, filters.ResponseQuery(period=period), limit)


def baseline(period: Period | None, tz_name: str, periods: int | None = None) -> Period | None:
    """The `periods` periods of the same kind just before `period` (FEEDBACK_TOPIC_BASELINE_
    PERIODS by default), as one: what an emerging topic's growth is measured against."""
    if period is None:
        return None
    periods = periods or int(current_app.config["FEEDBACK_TOPIC_BASELINE_PERIODS"])
    first: Period | None = period
    for _ in range(max(periods, 1)):
        first = previous(first, tz_name) if first is not None else None
    if first is None or first.start is None or period.start is None:
        return None
    tz = zone(tz_name)
    since = first.start.replace(tzinfo=UTC).astimezone(tz).date()
    until = period.start.replace(tzinfo=UTC).astimezone(tz).date() - timedelta(days=1)
    return Period(first.start, period.start, f"{since} to {until}", "custom")


def discover(
    workspace: Workspace,
    query: filters.ResponseQuery,
    limit: int = 10,
    min_count: int | None = None,
) -> list[Any]:
    """Topics of the query's uncovered comments that grew significantly against the same query
    over the periods before (`baseline`), from the phrases kept for them."""
    from nlp import Taxonomy
    from nlp.discover import rank

    now = themes.uncovered_comments(workspace, filters.conditions(workspace, query))
    if not now:
        return []
    before: list[tuple[str, list[str]]] = []
    before_period = baseline(query.period, workspace.timezone)
    if before_period is not None:
        earlier = dataclasses.replace(query, period=before_period)
        before = themes.uncovered_comments(workspace, filters.conditions(workspace, earlier))
    taxonomy = Taxonomy.from_dict(themes.taxonomy_dict(workspace))
    found = rank(
        [text for text, _ in now],
        _sets(now),
        _sets(before),
        taxonomy=taxonomy,
        min_count=min_count or int(current_app.config["FEEDBACK_TOPIC_MIN_COUNT"]),
        limit=limit,
    )
    return list(found)


def _sets(rows: list[tuple[str, list[str]]]) -> list[set[str]]:
    return [set(phrases) for _, phrases in rows]


def model_status(workspace: Workspace) -> dict[str, Any]:
    """Labels so far, how many training needs, each model's figures, and a pending request."""
    models = db.session.scalars(
        select(NlpModel)
        .where(owned_by(NlpModel, workspace.id))
        .order_by(NlpModel.trained_at.desc())
        .limit(10)
    ).all()
    return {
        "labels": training.label_count(workspace),
        "min_labels": int(current_app.config["FEEDBACK_MIN_LABELS"]),
        "models": list(models),
        "requested_at": workspace.train_requested_at,
    }


@use_case
def request_training(workspace: Workspace) -> None:
    """Ask the worker to train now (as POST /api/v1/models/train does)."""
    workspace.train_requested_at = utcnow()
    db.session.flush()
