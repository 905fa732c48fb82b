"""Surveys: the four kinds and their scales, a survey's definition and follow-up rules, who
is shown one and when; their models, use cases, API and builder pages."""

__all__ = [
    "definition",
    "followups",
    "kinds",
    "models",
    "service",
    "targeting",
]
