"""Signed-in sessions kept on the server: signing out, a new password or a removal ends them.

The browser's cookie holds a random token; the server keeps its hash. A cookie copied before
sign-out names a row that no longer exists, so it signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, session
from sqlalchemy import delete, select

from feedback.accounts.models import LoginSession, Membership, User
from feedback.database import owned_by, utcnow
from feedback.extensions import db

_KEY = "sid"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, workspace_id: int | None = None, *, sso: bool = False) -> LoginSession:
    """A new session for `user` in this browser, working in `workspace_id` if given (and in
    that workspace alone when its single sign-on signed them in)."""
    token = secrets.token_urlsafe(32)
    hours = int(current_app.config["FEEDBACK_SESSION_HOURS"])
    row = LoginSession(
        token_hash=_hash(token),
        user_id=user.id,
        workspace_id=workspace_id,
        sso_workspace_id=workspace_id if sso else None,
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.session.add(row)
    db.session.commit()
    # A new token at every sign-in: whatever a cookie named before signs nobody in now.
    session[_KEY] = token
    g.login_session = (row.token_hash, row)
    return row


def current(user_id: int) -> LoginSession | None:
    """This browser's live session, if it belongs to `user_id`."""
    token = session.get(_KEY)
    if not isinstance(token, str) or not token:
        return None
    digest = _hash(token)
    cached = g.get("login_session")
    if cached is None or cached[0] != digest:
        row = db.session.scalar(
            select(LoginSession).where(
                LoginSession.token_hash == digest, LoginSession.expires_at > utcnow()
            )
        )
        g.login_session = cached = (digest, row)
    row = cached[1]
    return row if row is not None and row.user_id == user_id else None


def end_this() -> None:
    """Sign this browser out on the server, then forget its cookie."""
    token = session.get(_KEY)
    if isinstance(token, str) and token:
        db.session.execute(delete(LoginSession).where(LoginSession.token_hash == _hash(token)))
        db.session.commit()
    session.pop(_KEY, None)
    g.pop("login_session", None)


def end_others(user: User, keep: LoginSession | None) -> None:
    """End every session of `user` but `keep` (after a new password)."""
    stmt = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep is not None:
        stmt = stmt.where(LoginSession.id != keep.id)
    db.session.execute(stmt)


def end_all(user_id: int) -> None:
    """End every session of `user_id` (removed from a workspace: they sign in again)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))


def choose_workspace(row: LoginSession, user: User, workspace_id: int) -> bool:
    """Work in another of the user's workspaces from now on; False when not a member there,
    or when the session's single sign-on vouches for another workspace only."""
    if row.sso_workspace_id is not None and row.sso_workspace_id != workspace_id:
        return False
    member = db.session.scalar(
        select(Membership.id).where(
            Membership.user_id == user.id, owned_by(Membership, workspace_id)
        )
    )
    if member is None:
        return False
    row.workspace_id = workspace_id
    db.session.commit()
    return True
