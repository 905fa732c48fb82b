"""Purging what a workspace keeps no longer: responses (with their theme tags), displays,
webhook deliveries and audit log entries older than its `retention_days`. Done in small
batches so no write transaction holds the database for long."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from feedback.accounts.models import Workspace
from feedback.audit import log as audit
from feedback.database import in_workspace, owned_by, utcnow
from feedback.extensions import db, writing
from feedback.responses.models import Display, Response
from feedback.themes.models import ResponseTheme
from feedback.webhooks.models import WebhookDelivery

log = logging.getLogger(__name__)
BATCH = 1000
KINDS = ("responses", "displays", "webhook_deliveries", "audit_events")


def _purge_responses(workspace_id: int, cutoff: datetime) -> int:
    total = 0
    while True:
        ids = list(
            db.session.scalars(
                in_workspace(Response, workspace_id, Response.id)
                .where(Response.submitted_at < cutoff)
                .limit(BATCH)
            )
        )
        if not ids:
            return total
        with writing():
            # Tags first: not every database enforces the cascade (SQLite needs a pragma).
            db.session.execute(
                delete(ResponseTheme).where(
                    owned_by(ResponseTheme, workspace_id), ResponseTheme.response_id.in_(ids)
                )
            )
            db.session.execute(
                delete(Response).where(owned_by(Response, workspace_id), Response.id.in_(ids))
            )
            db.session.commit()
        total += len(ids)


def _purge(model: Any, column: Any, workspace_id: int, cutoff: datetime) -> int:
    total = 0
    while True:
        ids = list(
            db.session.scalars(
                in_workspace(model, workspace_id, model.id).where(column < cutoff).limit(BATCH)
            )
        )
        if not ids:
            return total
        with writing():
            db.session.execute(
                delete(model).where(owned_by(model, workspace_id), model.id.in_(ids))
            )
            db.session.commit()
        total += len(ids)


def purge_workspace(workspace: Workspace) -> dict[str, int]:
    """Delete what is older than the workspace's retention; the number of rows of each kind."""
    if workspace.retention_days is None:
        return dict.fromkeys(KINDS, 0)
    cutoff = utcnow() - timedelta(days=workspace.retention_days)
    # Responses before displays: a response points at its display.
    counts = {
        "responses": _purge_responses(workspace.id, cutoff),
        "displays": _purge(Display, Display.shown_at, workspace.id, cutoff),
        "webhook_deliveries": _purge(
            WebhookDelivery, WebhookDelivery.created_at, workspace.id, cutoff
        ),
        "audit_events": audit.purge(workspace.id, cutoff),
    }
    if any(counts.values()):
        log.info("workspace %s: purged %s", workspace.slug, counts)
    return counts


def purge_old_data() -> dict[str, int]:
    """Apply every workspace's retention; totals of what was deleted."""
    workspaces = db.session.scalars(
        select(Workspace).where(Workspace.retention_days.is_not(None)).order_by(Workspace.id)
    ).all()
    totals = dict.fromkeys(KINDS, 0)
    for workspace in workspaces:
        for name, count in purge_workspace(workspace).items():
            totals[name] += count
    # Failed sign-ins to no account belong to no workspace: they follow the server's setting.
    days = int(current_app.config["FEEDBACK_UNSCOPED_AUDIT_DAYS"])
    totals["audit_events"] += audit.purge(None, utcnow() - timedelta(days=days))
    return totals
