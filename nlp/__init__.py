"""Text analysis of feedback comments: themes, sentiment per theme, language, theme discovery.

Pure Python on spaCy, VADER and scikit-learn; it knows nothing of the web application.
The public names below are imported on first use, so that a submodule which needs none of
them (python -m nlp.distill_embeddings) does not load spaCy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nlp.analyzer import Analysis, Analyzer, ThemeMention
    from nlp.embeddings import default_embeddings_path
    from nlp.errors import ModelError, NotEnoughLabels
    from nlp.model import ThemeModel, load_model
    from nlp.taxonomy import OTHER, Span, Taxonomy, TaxonomyError, Theme, default_taxonomy

_WHERE = {
    "Analysis": "nlp.analyzer",
    "Analyzer": "nlp.analyzer",
    "ThemeMention": "nlp.analyzer",
    "default_embeddings_path": "nlp.embeddings",
    "ModelError": "nlp.errors",
    "NotEnoughLabels": "nlp.errors",
    "ThemeModel": "nlp.model",
    "load_model": "nlp.model",
    "OTHER": "nlp.taxonomy",
    "Span": "nlp.taxonomy",
    "Taxonomy": "nlp.taxonomy",
    "TaxonomyError": "nlp.taxonomy",
    "Theme": "nlp.taxonomy",
    "default_taxonomy": "nlp.taxonomy",
}

__all__ = [
    "OTHER",
    "Analysis",
    "Analyzer",
    "ModelError",
    "NotEnoughLabels",
    "Span",
    "Taxonomy",
    "TaxonomyError",
    "Theme",
    "ThemeMention",
    "ThemeModel",
    "default_embeddings_path",
    "default_taxonomy",
    "load_model",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'nlp' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
