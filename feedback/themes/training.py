"""Teaching a workspace its own theme model from its analysts' tags."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from feedback.accounts.models import Workspace
from feedback.database import owned_by, utcnow
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.themes.analysis import start_reanalysis
from feedback.themes.analyzer import scaled
from feedback.themes.models import NlpModel, ResponseTheme, Theme
from feedback.themes.taxonomy import taxonomy_dict


def label_count(workspace: Workspace) -> int:
    """Comments an analyst has reviewed: any with a manual tag (added or removed)."""
    return db.session.scalar(
        select(func.count(func.distinct(ResponseTheme.response_id))).where(
            owned_by(ResponseTheme, workspace.id), ResponseTheme.source == "manual"
        )
    )


def labeled_examples(workspace: Workspace) -> list[Any]:
    """Each reviewed comment with its themes: the analyst's tags, and the machine's where the
    analyst left them standing."""
    from nlp.learn import LabeledExample

    reviewed = (
        select(ResponseTheme.response_id)
        .where(owned_by(ResponseTheme, workspace.id), ResponseTheme.source == "manual")
        .distinct()
    )
    rows = db.session.execute(
        select(
            Response.id,
            Response.comment,
            Response.score,
            Response.kind,
            Response.sentiment,
            Theme.slug,
            ResponseTheme.sentiment,
            ResponseTheme.removed,
        )
        .join(ResponseTheme, ResponseTheme.response_id == Response.id, isouter=True)
        .join(Theme, Theme.id == ResponseTheme.theme_id, isouter=True)
        .where(Response.id.in_(reviewed), Response.comment.is_not(None))
    ).all()
    texts: dict[int, tuple[str, float, str | None]] = {}
    themes: dict[int, dict[str, str]] = defaultdict(dict)
    for rid, comment, score, kind, overall, slug, sentiment, removed in rows:
        texts[rid] = (comment, scaled(kind, score), overall)
        if slug is not None and not removed:
            themes[rid][slug] = sentiment
    return [
        LabeledExample(text=text, themes=themes[rid], score=score, sentiment=overall)
        for rid, (text, score, overall) in texts.items()
    ]


def train_workspace(workspace: Workspace) -> dict[str, Any]:
    """Train on the workspace's labels; promote the model only if it beats the one in use."""
    from nlp import NotEnoughLabels, Taxonomy
    from nlp.learn import should_promote, train

    min_labels = int(current_app.config["FEEDBACK_MIN_LABELS"])
    workspace.train_requested_at = None
    examples = labeled_examples(workspace)
    if len(examples) < min_labels:
        db.session.commit()
        return {
            "status": "not_enough_labels",
            "labels": len(examples),
            "needed": min_labels,
        }
    taxonomy = Taxonomy.from_dict(taxonomy_dict(workspace))
    try:
        model, report = train(examples, taxonomy, min_examples=min_labels)
    except NotEnoughLabels as exc:
        # Empty and non-English comments do not count, so the usable set can fall short.
        db.session.commit()
        return {
            "status": "not_enough_labels",
            "labels": len(examples),
            "needed": min_labels,
            "detail": str(exc),
        }
    current = db.session.scalar(
        select(NlpModel).where(owned_by(NlpModel, workspace.id), NlpModel.status == "active")
    )
    promote = should_promote(report, current.report if current is not None else None)
    record = NlpModel(
        workspace_id=workspace.id,
        version=model.version,
        status="active" if promote else "rejected",
        label_count=report.n_labels,
        precision=report.precision,
        recall=report.recall,
        f1=report.f1,
        report=report.to_dict(),
        trained_at=utcnow(),
    )
    if promote:
        folder = os.path.join(
            current_app.config["FEEDBACK_MODEL_DIR"], str(workspace.id), model.version
        )
        model.save(folder)
        record.path = folder
        db.session.execute(
            update(NlpModel)
            .where(owned_by(NlpModel, workspace.id), NlpModel.status == "active")
            .values(status="retired")
        )
    db.session.add(record)
    db.session.flush()
    if promote:
        start_reanalysis(workspace, f"model {model.version} promoted")
    db.session.commit()
    return {"status": record.status, **record.to_dict()}


def due_for_training() -> list[Workspace]:
    """Workspaces that asked for training, or whose labels grew by a fifth since the last."""
    min_labels = int(current_app.config["FEEDBACK_MIN_LABELS"])
    labels = dict(
        db.session.execute(
            select(ResponseTheme.workspace_id, func.count(func.distinct(ResponseTheme.response_id)))
            .where(ResponseTheme.source == "manual")
            .group_by(ResponseTheme.workspace_id)
        ).all()
    )
    trained = dict(
        db.session.execute(
            select(NlpModel.workspace_id, func.max(NlpModel.label_count)).group_by(
                NlpModel.workspace_id
            )
        ).all()
    )
    due = []
    for workspace in db.session.scalars(select(Workspace)):
        count = labels.get(workspace.id, 0)
        last = trained.get(workspace.id)
        grew = count >= min_labels and (last is None or count >= last * 1.2)
        if workspace.train_requested_at is not None or grew:
            due.append(workspace)
    return due
