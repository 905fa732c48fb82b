"""Imports: a history brought from Delighted, Zendesk or any CSV, row by row checked, written
in bulk as responses, case notes and theme labels, one job that can be watched and cancelled."""

__all__ = [
    "formats",
    "models",
    "running",
]
