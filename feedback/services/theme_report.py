"""The themes page's figures: mentions and sentiment, weekly trend, emerging phrases, models."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from feedback import metrics
from feedback.extensions import db
from feedback.lookups import kept
from feedback.models import NlpModel, Response, ResponseTheme, Theme, Workspace, utcnow
from feedback.periods import Period, previous, zone
from feedback.services import queries, themes, training
from feedback.services.impact import impact_report

TREND_WEEKS = 12


def _weeks(
    workspace: Workspace, now: datetime | None = None
) -> tuple[list[str], datetime, datetime]:
    """The last TREND_WEEKS local weeks (Mondays), and their span in naive UTC."""
    tz = zone(workspace.timezone)
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    mondays = [monday - timedelta(weeks=i) for i in range(TREND_WEEKS - 1, -1, -1)]

    def utc(day: date) -> datetime:
        local = datetime(day.year, day.month, day.day, tzinfo=tz)
        return local.astimezone(UTC).replace(tzinfo=None)

    return [m.isoformat() for m in mondays], utc(mondays[0]), utc(monday + timedelta(weeks=1))


def weekly_mentions(workspace: Workspace, now: datetime | None = None) -> dict[str, list[int]]:
    """Mentions per theme slug for each of the last TREND_WEEKS weeks (zeros included)."""
    labels, start, end = _weeks(workspace, now)
    week = metrics.bucket("week", workspace.timezone, start, end).label("week")
    rows = db.session.execute(
        select(Theme.slug, week, func.count())
        .join(ResponseTheme, ResponseTheme.theme_id == Theme.id)
        .join(Response, Response.id == ResponseTheme.response_id)
        .where(
            Theme.workspace_id == workspace.id,
            ResponseTheme.removed.is_(False),
            Response.submitted_at >= start,
            Response.submitted_at < end,
        )
        .group_by(Theme.slug, week)
    ).all()
    index = {label: i for i, label in enumerate(labels)}
    out: dict[str, list[int]] = {}
    for slug, bucket, count in rows:
        series = out.setdefault(slug, [0] * len(labels))
        position = index.get(str(bucket)[:10])
        if position is not None:
            series[position] += count
    return out


def theme_page(workspace: Workspace, kind: str, period: Period) -> dict[str, Any]:
    """Each theme with its mentions, sentiment split, weekly trend and impact on `kind`; kept
    for a minute, as joining every tag to its response takes seconds on a large workspace."""
    key = ("figures", workspace.id, "themes", kind, period.start, period.end)
    return kept(key, lambda: _theme_page(workspace, kind, period))


def _theme_page(workspace: Workspace, kind: str, period: Period) -> dict[str, Any]:
    conditions = queries.conditions(workspace, queries.ResponseQuery(period=period))
    summary = themes.theme_summary(workspace, conditions)
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
    }


def emerging(workspace: Workspace, period: Period, limit: int = 10) -> list[Any]:
    """Phrases frequent in comments no theme covers, and growing against the period before;
    kept for a minute (reading and phrasing thousands of comments takes seconds)."""
    key = ("figures", workspace.id, "emerging", period.start, period.end, limit)
    return kept(key, lambda: _emerging(workspace, period, limit))


def _emerging(workspace: Workspace, period: Period, limit: int) -> list[Any]:
    from nlp import Taxonomy
    from nlp.discover import candidates

    query = queries.ResponseQuery(period=period)
    now = themes.uncovered_comments(workspace, queries.conditions(workspace, query))
    if not now:
        return []
    before: list[str] = []
    before_period = previous(period, workspace.timezone)
    if before_period is not None:
        query = queries.ResponseQuery(period=before_period)
        before = themes.uncovered_comments(workspace, queries.conditions(workspace, query))
    taxonomy = Taxonomy.from_dict(themes.taxonomy_dict(workspace))
    return list(candidates(now, before, taxonomy=taxonomy))[:limit]


def model_status(workspace: Workspace) -> dict[str, Any]:
    """Labels so far, how many training needs, each model's figures, and a pending request."""
    models = db.session.scalars(
        select(NlpModel)
        .where(NlpModel.workspace_id == workspace.id)
        .order_by(NlpModel.trained_at.desc())
        .limit(10)
    ).all()
    return {
        "labels": training.label_count(workspace),
        "min_labels": int(current_app.config["FEEDBACK_MIN_LABELS"]),
        "models": list(models),
        "requested_at": workspace.train_requested_at,
    }


def request_training(workspace: Workspace) -> None:
    """Ask the worker to train now (as POST /api/v1/models/train does)."""
    workspace.train_requested_at = utcnow()
    db.session.flush()
