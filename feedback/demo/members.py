"""The demo's members: the people who own its KPIs and work its cases, by name and role."""

from __future__ import annotations

from feedback.accounts import workspaces
from feedback.accounts.models import Membership, Workspace
from feedback.database import owned_by
from feedback.demo.content import content
from feedback.extensions import db


def add_members(workspace: Workspace, password: str) -> dict[str, int]:
    """Each member of data/members.json with their name, role and whether they take cases
    in turn; their user ids by email."""
    people = content("members")["members"]
    users = {}
    for person in people:
        user = workspaces.add_user(workspace, person["email"], password, person["role"])
        user.name = person["name"]
        users[person["email"]] = user.id
        db.session.execute(
            Membership.__table__.update()
            .where(owned_by(Membership, workspace.id), Membership.user_id == user.id)
            .values(handles_cases=person["handles_cases"])
        )
    db.session.flush()
    return users


def case_handlers() -> list[str]:
    """The addresses of the members who take cases in turn."""
    return [p["email"] for p in content("members")["members"] if p["handles_cases"]]
