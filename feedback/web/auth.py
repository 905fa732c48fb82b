"""Who is signed in, in which workspace, with which role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, flash, g, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from feedback.accounts import sessions, two_factor
from feedback.accounts.models import Membership, User, Workspace, at_least
from feedback.accounts.sso.models import SsoConnection, password_allowed
from feedback.errors import ascii_whole
from feedback.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    # The cookie names a user, but only a live session on the server signs them in.
    found = ascii_whole(user_id)
    if found is None or sessions.current(found) is None:
        return None
    return db.session.get(User, found)


def requires(role: str = "viewer", *, before_two_factor: bool = False) -> Callable[[F], F]:
    """Signed in, a member of a workspace, with at least `role`; sets g.workspace, g.role.

    In a workspace that requires two-factor sign-in, a member without it is sent to set it
    up, unless the page is one of those that serve for that (`before_two_factor`).
    """

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            found = db.session.execute(
                select(Membership.role, Workspace, SsoConnection.required)
                .join(Workspace, Workspace.id == Membership.workspace_id)
                .outerjoin(SsoConnection, SsoConnection.workspace_id == Workspace.id)
                .where(Membership.user_id == current_user.id)
                .order_by(Workspace.name, Workspace.id)
            ).all()
            chosen = sessions.current(current_user.id)
            rows = [
                (member_role, ws)
                for member_role, ws, sso_required in found
                if _reaches(chosen, ws.id, member_role, bool(sso_required))
            ]
            if not rows:
                abort(403)
            # The workspace this browser chose, else the first: every query below is scoped
            # to g.workspace, so a switch changes what every page and form acts on.
            chosen_id = chosen.workspace_id if chosen is not None else None
            g.role, g.workspace = next((r for r in rows if r[1].id == chosen_id), rows[0])
            g.memberships = [(workspace, member_role) for member_role, workspace in rows]
            if not at_least(g.role, role):
                abort(403)
            # A sign-in through the workspace's identity provider had that provider's own
            # second factor: only password sign-ins are held to this workspace's rule.
            by_sso = chosen is not None and chosen.sso_workspace_id is not None
            if (
                not before_two_factor
                and not by_sso
                and two_factor.must_enrol(g.workspace, current_user.id)
            ):
                flash(f"{g.workspace.name} requires two-factor sign-in: set it up first.", "error")
                return redirect(url_for("two_factor.setup"))
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator


def _reaches(chosen: Any, workspace_id: int, role: str, sso_required: bool) -> bool:
    """Whether this browser's session may work in a workspace: one begun by a workspace's
    single sign-on works there alone; one begun with a password, where passwords may be used."""
    if chosen is not None and chosen.sso_workspace_id is not None:
        return chosen.sso_workspace_id == workspace_id
    return password_allowed(role, sso_required)


def can(role: str) -> bool:
    """Whether the signed-in member may do what `role` may (for showing controls)."""
    return at_least(g.get("role", "viewer"), role)
