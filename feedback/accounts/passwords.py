"""A person changes their own password; their other sessions end with the old one."""

from __future__ import annotations

from feedback.accounts import sessions
from feedback.accounts.models import LoginSession, User
from feedback.errors import Invalid
from feedback.extensions import db

MIN_LENGTH = 8


def change_password(user: User, current: str, new: str, keep: LoginSession | None) -> None:
    """Set a new password after checking the current one; only `keep` stays signed in."""
    if not user.check_password(current or ""):
        raise Invalid("That is not your current password.", "current")
    if len(new or "") < MIN_LENGTH:
        raise Invalid(f"A password needs at least {MIN_LENGTH} characters.", "password")
    user.set_password(new)
    sessions.end_others(user, keep)
    db.session.commit()
