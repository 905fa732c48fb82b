"""Which analyzer a workspace's comments go through: the NLP pipeline with its taxonomy and
its active model (the default one until it has its own), and a score as the model reads it."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import current_app
from sqlalchemy import select

from feedback.accounts.models import Workspace
from feedback.database import owned_by
from feedback.extensions import db
from feedback.themes.models import NlpModel
from feedback.themes.taxonomy import taxonomy_dict

log = logging.getLogger(__name__)
_SCALES = {"nps": (0, 10), "csat": (1, 5), "psat": (1, 5), "ces": (1, 7)}


_cache_lock = threading.Lock()


_analyzers: dict[int, tuple[tuple[str, int, str | None], Any]] = {}


def analyzer_for(workspace: Workspace) -> Any:
    """The workspace's analyzer (taxonomy and active model), rebuilt when either changes."""
    from nlp import Analyzer, Taxonomy

    active = db.session.execute(
        select(NlpModel.version, NlpModel.path).where(
            owned_by(NlpModel, workspace.id), NlpModel.status == "active"
        )
    ).first()
    # The public key tells apart workspaces of different databases that share an id (tests).
    key = (workspace.public_key, workspace.taxonomy_revision, active.version if active else None)
    with _cache_lock:
        cached = _analyzers.get(workspace.id)
    if cached is not None and cached[0] == key:
        return cached[1]
    taxonomy = Taxonomy.from_dict(taxonomy_dict(workspace))
    # Without a model of its own a workspace starts from the default one, which decides the
    # default themes it still has unchanged; its own themes come from the taxonomy.
    model = _loadable_model(workspace, active.path if active else None)
    analyzer = Analyzer(
        taxonomy=taxonomy,
        model=model,
        embeddings_path=current_app.config.get("FEEDBACK_EMBEDDINGS_PATH") or None,
    )
    with _cache_lock:
        _analyzers[workspace.id] = (key, analyzer)
    return analyzer


def _loadable_model(workspace: Workspace, path: str | None) -> Any:
    """The active model; if its files are damaged, the newest earlier one that loads, else
    the default model, so a bad file never stops the analysis."""
    from nlp import ModelError, load_model

    try:
        return load_model(path)
    except ModelError:
        log.exception("model of workspace %s at %s refused", workspace.slug, path)
    earlier = db.session.scalars(
        select(NlpModel.path)
        .where(
            owned_by(NlpModel, workspace.id),
            NlpModel.status == "retired",
            NlpModel.path.is_not(None),
        )
        .order_by(NlpModel.trained_at.desc())
    )
    for folder in earlier:
        try:
            return load_model(folder)
        except ModelError:
            log.exception("earlier model at %s refused too", folder)
    return load_model(None)


def scaled(kind: str, score: int) -> float:
    """A score on 0..1, as the model was trained to read it."""
    low, high = _SCALES[kind]
    return (score - low) / (high - low)
