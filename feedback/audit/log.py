"""Writing the audit log: `record` adds an entry to the transaction of the action it tells of,
so the entry is stored if and only if the action is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import delete, select

from feedback.audit.models import ACTIONS, CHANGED, AuditEvent
from feedback.database import owned_by, use_case
from feedback.extensions import db, writing

BATCH = 1000


@dataclass(frozen=True)
class Actor:
    """Who acted, as the log names them: a member's email (and id), an API key, the system."""

    label: str
    user_id: int | None = None


SYSTEM = Actor("system")


def member(user: Any) -> Actor:
    """A person, by the email they have now (the entry keeps it if it changes later)."""
    return Actor(str(user.email)[:320], user.id)


def api_key(key: Any) -> Actor:
    return Actor(f"api key {key.prefix}")


def current_actor() -> Actor:
    """Who the current request acts for: its API key, its signed-in member, else the system
    (a job, the command line)."""
    if not has_request_context():
        return SYSTEM
    key = g.get("api_key")
    if key is not None:
        return api_key(key)
    if current_user.is_authenticated:
        return member(current_user)
    return SYSTEM


def changes_between(
    before: Mapping[str, Any], after: Mapping[str, Any], secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """{field: [before, after]} for each field whose value differs; a secret field says only
    that it changed, never what it was or is."""
    hidden = set(secrets)
    out: dict[str, Any] = {}
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field), after.get(field)
        if old != new:
            out[field] = CHANGED if field in hidden else [old, new]
    return out


def record(
    action: str,
    *,
    workspace_id: int | None,
    actor: Actor | None = None,
    target: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an entry to the current transaction; who and where come from the request."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    who = actor or current_actor()
    ip = agent = None
    if has_request_context():
        # remote_addr as the app sees it: the proxy's client address once ProxyFix trusts it.
        ip = (request.remote_addr or "")[:45] or None
        agent = request.user_agent.string[:300] or None
    entry = AuditEvent(
        workspace_id=workspace_id,
        actor=who.label,
        actor_user_id=who.user_id,
        action=action,
        target=target[:300] if target else None,
        changes=changes or None,
        ip=ip,
        user_agent=agent,
    )
    db.session.add(entry)
    return entry


def purge(workspace_id: int | None, cutoff: datetime) -> int:
    """Delete the entries older than `cutoff` (the retention purge: the one delete path);
    `workspace_id` None purges those of no workspace. How many went."""
    scope = (
        AuditEvent.workspace_id.is_(None)
        if workspace_id is None
        else owned_by(AuditEvent, workspace_id)
    )
    total = 0
    while True:
        ids = list(
            db.session.scalars(
                select(AuditEvent.id).where(scope, AuditEvent.at < cutoff).limit(BATCH)
            )
        )
        if not ids:
            return total
        with writing():
            db.session.execute(delete(AuditEvent).where(scope, AuditEvent.id.in_(ids)))
            db.session.commit()
        total += len(ids)


@use_case
def downloaded(workspace_id: int, name: str, filters: Mapping[str, str] | None = None) -> None:
    """Note a download (a CSV export, a person's data) by the current actor, with the filters
    that chose its rows."""
    shown = {k: v for k, v in (filters or {}).items() if v}
    target = f"{name}?{urlencode(shown)}" if shown else name
    record("export.downloaded", workspace_id=workspace_id, target=target)
