"""Outgoing webhooks: managing them and emitting events into their delivery log.

`emit` only inserts rows, in the caller's transaction: the response and its events commit
together or not at all, and nothing leaves the process until the delivery job (see
`webhook_delivery`) picks them up.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import case, insert, or_, update

from feedback.accounts.models import Workspace
from feedback.audit import log as audit
from feedback.database import in_workspace, owned_by, utcnow
from feedback.errors import Invalid, NotFound, object_of
from feedback.extensions import db, writing
from feedback.lookups import cached, forget
from feedback.responses.models import CONTEXT_COLUMNS
from feedback.surveys.kinds import band_for, in_low_band
from feedback.surveys.models import Survey
from feedback.webhooks.models import WEBHOOK_EVENTS, WEBHOOK_FORMATS, Webhook, WebhookDelivery
from feedback.webhooks.targets import TargetRefused, check_url

MAX_WEBHOOKS = 20
MAX_LOG = 200


# -- events ---------------------------------------------------------------------------------


def _subscriptions(workspace_id: int) -> tuple[tuple[int, frozenset[str]], ...]:
    """The active webhooks of a workspace and their events, cached: most workspaces have none,
    and the response write path must not pay a query to learn that."""

    def load() -> tuple[tuple[int, frozenset[str]], ...]:
        rows = db.session.execute(
            in_workspace(Webhook, workspace_id, Webhook.id, Webhook.events).where(
                Webhook.active.is_(True)
            )
        )
        return tuple((hook_id, frozenset(events or ())) for hook_id, events in rows)

    return cached(("webhooks", workspace_id), load)


def emit(workspace_id: int, event: str, payload: dict[str, Any]) -> int:
    """Queue `event` for every active webhook of the workspace that subscribed to it.

    Runs in the caller's transaction (the caller commits); the number of deliveries queued.
    """
    hooks = [hook_id for hook_id, events in _subscriptions(workspace_id) if event in events]
    if not hooks:
        return 0
    now = utcnow()
    body = {
        "type": event,
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "data": payload,
    }
    db.session.execute(
        insert(WebhookDelivery.__table__),
        [
            {
                "workspace_id": workspace_id,
                "webhook_id": hook_id,
                "message_id": "msg_" + secrets.token_hex(12),
                "event": event,
                "payload": body,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "history": [],
                "created_at": now,
            }
            for hook_id in hooks
        ],
    )
    return len(hooks)


def response_recorded(
    workspace_id: int, survey: Survey, response: Any, score: int, previous_score: int | None
) -> None:
    """Emit response.created (or .updated when the call replaced `previous_score`) for the
    stored `response` row as it scored `score`, and response.low_score when that score is a
    low one it was not before."""
    if not _subscriptions(workspace_id):
        return
    context = {name: getattr(response, name) for name in CONTEXT_COLUMNS}
    context = {k: v for k, v in context.items() if v}
    context.update(response.context or {})
    payload = {
        "id": response.id,
        "client_id": response.client_id,
        "survey": survey.public_id,
        "kind": survey.kind,
        "score": score,
        "band": band_for(survey.kind, survey.scale, score),
        "answers": response.answers,
        "comment": response.comment,
        "context": context,
    }
    updated = previous_score is not None
    emit(workspace_id, "response.updated" if updated else "response.created", payload)
    was_low = updated and in_low_band(survey.kind, survey.scale, previous_score)
    if in_low_band(survey.kind, survey.scale, score) and not was_low:
        emit(workspace_id, "response.low_score", payload)


def redact_responses(workspace_id: int, response_ids: list[int]) -> int:
    """Blank the logged events about these responses (an erased person's words must not
    survive in the delivery log) and drop those not yet sent. Runs in the caller's transaction.
    """
    return _redact(workspace_id, response_ids, ("response.%", "analysis.%"), "the respondent")


def redact_cases(workspace_id: int, case_ids: list[int]) -> int:
    """The same for the logged events about these cases (they quote the comment)."""
    return _redact(workspace_id, case_ids, ("case.%",), "the respondent")


def _redact(workspace_id: int, ids: list[int], events: tuple[str, ...], who: str) -> int:
    if not ids:
        return 0
    about = WebhookDelivery.payload["data"]["id"].as_integer()
    result = db.session.execute(
        update(WebhookDelivery)
        .where(
            owned_by(WebhookDelivery, workspace_id),
            or_(*(WebhookDelivery.event.like(pattern) for pattern in events)),
            about.in_(ids),
        )
        .values(
            payload={"redacted": True},
            status=case((WebhookDelivery.status == "delivered", "delivered"), else_="failed"),
            last_error=case(
                (WebhookDelivery.status == "delivered", WebhookDelivery.last_error),
                else_=f"not sent: {who} was erased",
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# -- managing webhooks ---------------------------------------------------------------------


def _url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 2000:
        raise Invalid("Must be an http or https URL of at most 2000 characters.", "url")
    try:
        check_url(value)  # checked again before every delivery: a name's answer may change
    except TargetRefused as exc:
        raise Invalid(str(exc), "url") from exc
    return value


def _events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise Invalid(f"Must be a non-empty list of: {', '.join(WEBHOOK_EVENTS)}.", "events")
    for i, event in enumerate(value):
        if event not in WEBHOOK_EVENTS:
            raise Invalid(f"Must be one of: {', '.join(WEBHOOK_EVENTS)}.", f"events[{i}]")
    return sorted(set(value))


def create_webhook(workspace: Workspace, payload: Any) -> Webhook:
    """A new webhook; its secret is shown in the answer to this call."""
    payload = object_of(payload, ("url", "events", "format", "active"))
    fmt = payload.get("format", "json")
    if fmt not in WEBHOOK_FORMATS:
        raise Invalid(f"Must be one of: {', '.join(WEBHOOK_FORMATS)}.", "format")
    active = payload.get("active", True)
    if not isinstance(active, bool):
        raise Invalid("Must be true or false.", "active")
    count = len(db.session.scalars(in_workspace(Webhook, workspace.id, Webhook.id)).all())
    if count >= MAX_WEBHOOKS:
        raise Invalid(f"At most {MAX_WEBHOOKS} webhooks per workspace.", "url")
    hook = Webhook(
        workspace_id=workspace.id,
        url=_url(payload.get("url")),
        events=_events(payload.get("events")),
        format=fmt,
        active=active,
    )
    with writing():
        db.session.add(hook)
        db.session.flush()
        audit.record(
            "webhook.created",
            workspace_id=workspace.id,
            target=_label(hook),
            changes={"events": [None, hook.events], "active": [None, hook.active]},
        )
        forget("webhooks", workspace.id)
        db.session.commit()
    return hook


def _label(hook: Webhook) -> str:
    # Only the receiver's origin: a path or query may hold a token (Slack's do).
    parts = urlsplit(hook.url)
    return f"webhook {hook.id} to {parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def list_webhooks(workspace: Workspace) -> list[Webhook]:
    return list(db.session.scalars(in_workspace(Webhook, workspace.id).order_by(Webhook.id)))


def get_webhook(workspace: Workspace, webhook_id: int) -> Webhook:
    hook = db.session.scalar(in_workspace(Webhook, workspace.id).where(Webhook.id == webhook_id))
    if hook is None:
        raise NotFound(f"No webhook {webhook_id} in this workspace.", "id")
    return hook


def delete_webhook(workspace: Workspace, webhook_id: int) -> None:
    """Remove a webhook with its delivery log; what it had queued is not sent."""
    hook = get_webhook(workspace, webhook_id)
    with writing():
        audit.record("webhook.deleted", workspace_id=workspace.id, target=_label(hook))
        db.session.delete(hook)
        forget("webhooks", workspace.id)
        db.session.commit()


def deliveries(workspace: Workspace, webhook_id: int, limit: int = 50) -> list[WebhookDelivery]:
    """The delivery log of one webhook, newest first."""
    hook = get_webhook(workspace, webhook_id)
    stmt = (
        in_workspace(WebhookDelivery, workspace.id)
        .where(WebhookDelivery.webhook_id == hook.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(max(1, min(limit, MAX_LOG)))
        # Workers update these rows with plain UPDATEs: read them afresh, not from the session.
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(stmt))


def response_link(response_id: int) -> str:
    base = str(current_app.config["FEEDBACK_BASE_URL"]).rstrip("/")
    return f"{base}/app/responses/{response_id}"
