"""Who belongs to a workspace, and changing their role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func

from feedback.accounts import sessions
from feedback.accounts.models import ROLES, Membership, User, Workspace
from feedback.audit import log as audit
from feedback.database import in_workspace, use_case
from feedback.errors import Forbidden, Invalid, NotFound
from feedback.extensions import db


@dataclass(frozen=True)
class Member:
    user_id: int
    email: str
    role: str
    name: str = ""

    @property
    def label(self) -> str:
        """How pages name the member: their name, or their email when they gave none."""
        return self.name or self.email


def list_members(workspace: Workspace) -> list[Member]:
    rows = db.session.execute(
        in_workspace(
            Membership, workspace.id, Membership.user_id, User.email, Membership.role, User.name
        )
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


def _other_member(
    workspace: Workspace, actor: User, actor_role: str, user_id: int, change: str, field: str
) -> Membership:
    """Another member whose role `change` may touch: only an owner touches an owner."""
    membership = db.session.scalar(
        in_workspace(Membership, workspace.id).where(Membership.user_id == user_id)
    )
    if membership is None:
        raise NotFound(f"No member {user_id} in this workspace.", "user")
    if membership.user_id == actor.id:
        raise Forbidden(f"You cannot {change} yourself; ask another admin.", field)
    if membership.role == "owner" and actor_role != "owner":
        raise Forbidden(f"Only an owner can {change} an owner.", field)
    return membership


def _keeps_an_owner(workspace: Workspace, membership: Membership, field: str) -> None:
    """The last owner stays one: a workspace keeps at least one owner."""
    if membership.role != "owner":
        return
    owners = db.session.scalar(
        in_workspace(Membership, workspace.id, func.count()).where(Membership.role == "owner")
    )
    if owners <= 1:
        raise Invalid("A workspace keeps at least one owner.", field)


@use_case
def change_role(
    workspace: Workspace, actor: User, actor_role: str, user_id: int, role: str
) -> None:
    """Give a member another role; the last owner stays, and nobody changes their own."""
    check_grant(actor_role, role)
    membership = _other_member(workspace, actor, actor_role, user_id, "change the role of", "role")
    if role != "owner":
        _keeps_an_owner(workspace, membership, "role")
    if membership.role != role:
        audit.record(
            "member.role_changed",
            workspace_id=workspace.id,
            target=membership.user.email,
            changes={"role": [membership.role, role]},
        )
    membership.role = role
    db.session.flush()


def remove_member(workspace: Workspace, actor: User, actor_role: str, user_id: int) -> None:
    """Take someone out of the workspace, and end their sessions; the last owner stays."""
    membership = _other_member(workspace, actor, actor_role, user_id, "remove", "user")
    _keeps_an_owner(workspace, membership, "user")
    audit.record(
        "member.removed",
        workspace_id=workspace.id,
        target=membership.user.email,
        changes={"role": [membership.role, None]},
    )
    db.session.delete(membership)
    sessions.end_all(user_id)
    db.session.commit()
