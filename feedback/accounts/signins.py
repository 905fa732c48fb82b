"""Sign-in attempts in the audit log: each workspace of the account sees its own."""

from __future__ import annotations

from sqlalchemy import select

from feedback.accounts.models import Membership, User
from feedback.audit import log as audit
from feedback.database import use_case
from feedback.extensions import db


def _workspaces(user: User) -> list[int]:
    return list(
        db.session.scalars(
            select(Membership.workspace_id)
            .where(Membership.user_id == user.id)
            .order_by(Membership.workspace_id)
        )
    )


@use_case
def succeeded(user: User) -> None:
    """Log a sign-in in every workspace `user` belongs to."""
    for_account("signin.succeeded", user)


@use_case
def failed(email: str, user: User | None) -> None:
    """Log a refused sign-in with the email tried: in each workspace of `user`, the account
    of that email, if there is one, else in no workspace (only the server's operators see
    those)."""
    for_account("signin.failed", user, email.strip().lower()[:320])


def for_account(action: str, user: User | None, target: str | None = None) -> None:
    """An entry for each workspace of `user`, in the current transaction; for an address
    with no account, one entry in no workspace."""
    if user is None:
        who = (target or "unknown")[:320]
        audit.record(action, workspace_id=None, actor=audit.Actor(who), target=who)
        return
    for workspace_id in _workspaces(user) or [None]:
        audit.record(
            action, workspace_id=workspace_id, actor=audit.member(user), target=target or user.email
        )
