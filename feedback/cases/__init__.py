"""Closing the loop, as pure functions: who owns a new case, and when it is due."""

from feedback.cases.rules import CaseFacts, Decision, decide, validate_rule
from feedback.cases.sla import DEFAULT_SETTINGS, clean_settings, due_at

__all__ = [
    "DEFAULT_SETTINGS",
    "CaseFacts",
    "Decision",
    "clean_settings",
    "decide",
    "due_at",
    "validate_rule",
]
