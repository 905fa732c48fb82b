"""Reading the audit log back in tests."""

from __future__ import annotations

from sqlalchemy import select

from feedback.audit.models import AuditEvent
from feedback.extensions import db


def entries(workspace_id: int | None, action: str | None = None) -> list[AuditEvent]:
    """The workspace's entries (None: those of no workspace), oldest first."""
    db.session.expire_all()
    scope = (
        AuditEvent.workspace_id.is_(None)
        if workspace_id is None
        else AuditEvent.workspace_id == workspace_id
    )
    stmt = select(AuditEvent).where(scope).order_by(AuditEvent.id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def one(workspace_id: int | None, action: str, target: str | None = None) -> AuditEvent:
    """The one entry of `action` (on `target`, when given)."""
    found = [e for e in entries(workspace_id, action) if target in (None, e.target)]
    assert len(found) == 1, [(e.action, e.target) for e in entries(workspace_id)]
    return found[0]
