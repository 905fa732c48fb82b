"""Responses: recording displays, dismissals and answers from every channel, who answered
(claimed or verified), lists and exports, erasure and retention, and the churn and renewal
events of their accounts."""

__all__ = [
    "events",
    "identity",
    "models",
    "queries",
    "recording",
    "respondents",
]
