"""Surveys by email: invites with one-click score links, their delivery and reminders, the
hosted survey page they open, unsubscribing, and the weekly digest."""

__all__ = [
    "compose",
    "erasure",
    "invites",
    "models",
]
