"""Themes: a workspace's taxonomy, the tags the NLP pipeline and analysts put on comments,
the analysis queue, training a workspace's own model, figures, impact and verbatims."""

__all__ = [
    "forms",
    "impact",
    "models",
    "report",
    "states",
    "taxonomy",
    "verbatims",
]
