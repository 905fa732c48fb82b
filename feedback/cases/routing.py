"""Case routing rules and case handlers: which member a new case goes to (admins only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import selectinload

from feedback.accounts.models import Membership, Workspace
from feedback.cases import work as cases
from feedback.cases.models import CaseRule
from feedback.cases.rules import validate_rule
from feedback.cases.work import Actor
from feedback.database import in_workspace, owned_by, use_case
from feedback.errors import Forbidden, Invalid, NotFound, object_of
from feedback.extensions import db, writing
from feedback.lookups import forget

MAX_RULES = 100


def list_rules(workspace: Workspace) -> list[CaseRule]:
    return list(
        db.session.scalars(
            in_workspace(CaseRule, workspace.id)
            .options(selectinload(CaseRule.owner))
            .order_by(CaseRule.position)
        )
    )


RULE_KEYS = ("name", "conditions", "owner", "enabled")


def _rule_fields(workspace: Workspace, payload: dict[str, Any]) -> dict[str, Any]:
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise Invalid("Name the rule (1 to 200 characters).", "name")
    enabled = payload.get("enabled", True)
    if not isinstance(enabled, bool):
        raise Invalid("Must be true or false.", "enabled")
    owner = cases.check_member(workspace, payload.get("owner"))
    if owner is None:
        raise Invalid("A rule must name the owner its cases go to.", "owner")
    return {
        "name": name.strip(),
        "conditions": validate_rule(payload.get("conditions")),
        "owner_id": owner,
        "enabled": enabled,
    }


@use_case
def create_rule(workspace: Workspace, payload: Any, actor: Actor) -> CaseRule:
    """A new rule, tried after the existing ones (admins only)."""
    if not actor.at_least("admin"):
        raise Forbidden("Only admins configure case rules.")
    fields = _rule_fields(workspace, object_of(payload, RULE_KEYS))
    rules = list_rules(workspace)
    if len(rules) >= MAX_RULES:
        raise Invalid(f"At most {MAX_RULES} rules per workspace.", "name")
    position = max((r.position for r in rules), default=0) + 1
    rule = CaseRule(workspace_id=workspace.id, position=position, **fields)
    with writing():
        db.session.add(rule)
        forget("case_rules", workspace.id)
        db.session.commit()
    return rule


def _rule(workspace: Workspace, rule_id: int) -> CaseRule:
    rule = db.session.scalar(in_workspace(CaseRule, workspace.id).where(CaseRule.id == rule_id))
    if rule is None:
        raise NotFound(f"No rule {rule_id} in this workspace.", "rule")
    return rule


@use_case
def update_rule(workspace: Workspace, rule_id: int, payload: Any, actor: Actor) -> CaseRule:
    if not actor.at_least("admin"):
        raise Forbidden("Only admins configure case rules.")
    changes = object_of(payload, RULE_KEYS)
    rule = _rule(workspace, rule_id)
    current = {"name": rule.name, "conditions": rule.conditions, "owner": rule.owner_id}
    fields = _rule_fields(workspace, {**current, **changes})
    with writing():
        for name, value in fields.items():
            setattr(rule, name, value)
        forget("case_rules", workspace.id)
        db.session.commit()
    return rule


@use_case
def delete_rule(workspace: Workspace, rule_id: int, actor: Actor) -> None:
    if not actor.at_least("admin"):
        raise Forbidden("Only admins configure case rules.")
    rule = _rule(workspace, rule_id)
    with writing():
        db.session.delete(rule)
        forget("case_rules", workspace.id)
        db.session.commit()


@use_case
def move_rule(workspace: Workspace, rule_id: int, offset: int, actor: Actor) -> None:
    """Move a rule up (-1) or down (+1) in the order they are tried."""
    if not actor.at_least("admin"):
        raise Forbidden("Only admins configure case rules.")
    rules = list_rules(workspace)
    index = next((i for i, r in enumerate(rules) if r.id == rule_id), None)
    if index is None:
        raise NotFound(f"No rule {rule_id} in this workspace.", "rule")
    target = index + offset
    if not 0 <= target < len(rules):
        return
    a, b = rules[index], rules[target]
    with writing():
        # Positions are unique: park one while the other takes its place.
        pa, pb = a.position, b.position
        a.position = -1
        db.session.flush()
        b.position = pa
        db.session.flush()
        a.position = pb
        forget("case_rules", workspace.id)
        db.session.commit()


def set_handler(workspace: Workspace, user_id: int, handles: bool, actor: Actor) -> None:
    """Whether a member takes cases in turn when no rule names an owner (admins only)."""
    if not actor.at_least("admin"):
        raise Forbidden("Only admins choose the case handlers.")
    cases.check_member(workspace, user_id)
    with writing():
        db.session.execute(
            update(Membership)
            .where(owned_by(Membership, workspace.id), Membership.user_id == user_id)
            .values(handles_cases=handles)
        )
        db.session.commit()


@use_case
def set_handlers(workspace: Workspace, user_ids: Iterable[int], actor: Actor) -> set[int]:
    """The members who take cases in turn, all at once: these, and no others (admins only)."""
    if not actor.at_least("admin"):
        raise Forbidden("Only admins choose the case handlers.")
    chosen = set(user_ids)
    for user_id in chosen:
        cases.check_member(workspace, user_id)  # refused unless a member
    with writing():
        db.session.execute(
            update(Membership)
            .where(owned_by(Membership, workspace.id))
            .values(handles_cases=Membership.user_id.in_(chosen))
        )
        db.session.commit()
    return chosen
