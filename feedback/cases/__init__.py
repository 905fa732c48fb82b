"""Closing the loop: a case per unhappy respondent, who owns it and when it is due, working
it to a close, replies mailed to the respondent, and the re-survey that asks if it is fixed."""

__all__ = [
    "file",
    "mail",
    "models",
    "opening",
    "sla",
    "work",
]
