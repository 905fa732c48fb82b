"""Who belongs to a workspace, and changing their role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func

from feedback.accounts import sessions
from feedback.errors import Forbidden, Invalid, NotFound
from feedback.extensions import db
from feedback.models import Membership, User, Workspace, in_workspace
from feedback.models.workspace import ROLES


@dataclass(frozen=True)
class Member:
    user_id: int
    email: str
    role: str


def list_members(workspace: Workspace) -> list[Member]:
    rows = db.session.execute(
        in_workspace(Membership, workspace.id, Membership.user_id, User.email, Membership.role)
        .join(User, User.id == Membership.user_id)
        .order_by(User.email)
    ).all()
    return [Member(*row) for row in rows]


def check_grant(actor_role: str, role: str) -> None:
    """Only an owner makes owners: an admin cannot raise anyone, or themself, above admin."""
    if role not in ROLES:
        raise Invalid(f"Role must be one of: {', '.join(ROLES)}.", "role")
    if role == "owner" and actor_role != "owner":
        raise Forbidden("Only an owner can make someone an owner.", "role")


def change_role(
    workspace: Workspace, actor: User, actor_role: str, user_id: int, role: str
) -> None:
    """Give a member another role; the last owner stays, and nobody changes their own."""
    check_grant(actor_role, role)
    membership = db.session.scalar(
        in_workspace(Membership, workspace.id).where(Membership.user_id == user_id)
    )
    if membership is None:
        raise NotFound(f"No member {user_id} in this workspace.", "user")
    if membership.user_id == actor.id:
        raise Forbidden("You cannot change your own role; ask another admin.", "role")
    if membership.role == "owner":
        if actor_role != "owner":
            raise Forbidden("Only an owner can change an owner's role.", "role")
        owners = db.session.scalar(
            in_workspace(Membership, workspace.id, func.count()).where(Membership.role == "owner")
        )
        if owners <= 1 and role != "owner":
            raise Invalid("A workspace keeps at least one owner.", "role")
    membership.role = role
    db.session.flush()


def remove_member(workspace: Workspace, actor: User, actor_role: str, user_id: int) -> None:
    """Take someone out of the workspace, and end their sessions; the last owner stays."""
    membership = db.session.scalar(
        in_workspace(Membership, workspace.id).where(Membership.user_id == user_id)
    )
    if membership is None:
        raise NotFound(f"No member {user_id} in this workspace.", "user")
    if membership.user_id == actor.id:
        raise Forbidden("You cannot remove yourself; ask another admin.", "user")
    if membership.role == "owner":
        if actor_role != "owner":
            raise Forbidden("Only an owner can remove an owner.", "user")
        owners = db.session.scalar(
            in_workspace(Membership, workspace.id, func.count()).where(Membership.role == "owner")
        )
        if owners <= 1:
            raise Invalid("A workspace keeps at least one owner.", "user")
    db.session.delete(membership)
    sessions.end_all(user_id)
    db.session.commit()
