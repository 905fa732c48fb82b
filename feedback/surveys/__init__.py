"""Survey kinds, scales and the follow-up rules: pure functions, no database."""

from feedback.surveys.definition import validate_survey
from feedback.surveys.followups import clean_answers, followups_for
from feedback.surveys.kinds import KINDS, band_for, default_survey

__all__ = [
    "KINDS",
    "band_for",
    "clean_answers",
    "default_survey",
    "followups_for",
    "validate_survey",
]
