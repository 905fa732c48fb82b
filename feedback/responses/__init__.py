"""Responses: recording displays, dismissals and answers from every channel, who answered
(claimed or verified), lists and exports, erasure and retention."""

__all__ = [
    "identity",
    "models",
    "queries",
    "recording",
    "respondents",
]
