"""Delivering queued webhook events (Standard Webhooks), with retries and a log.

A batch is claimed with a token (ids selected FOR UPDATE SKIP LOCKED on PostgreSQL, then
updated), so two workers never post one delivery twice. Each POST carries webhook-id,
webhook-timestamp and webhook-signature (`v1,` and the base64 HMAC-SHA256 of
"id.timestamp.body"). A refused or unreachable receiver is retried after 30 s, 2 min, 10 min,
1 h and 6 h, then the delivery is marked failed; every attempt is kept in its history. A
worker that dies mid-batch leaves its claim; after FEEDBACK_WEBHOOK_CLAIM_SECONDS the delivery
is posted again, with its first webhook-id, which receivers use to drop repeats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import and_, or_, select, update

from feedback.claims import abandoned, claim
from feedback.extensions import db, writing
from feedback.models import Webhook, WebhookDelivery, utcnow
from feedback.services.webhooks import response_link

log = logging.getLogger(__name__)

RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
)
BATCH = 20
EXCERPT = 500


class DeliveryRefused(Exception):
    """The receiver's address may not be called from here."""


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value for one message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def check_address(url: str) -> None:
    """Refuse a URL whose host resolves to a private, loopback, link-local or reserved address.

    The receiver's name is resolved again when posting, so a name that changes its answer in
    between (DNS rebinding) is not caught here; the refusal guards against plain mistakes and
    against keys used to probe the internal network by address or by a fixed name.
    """
    if current_app.config["FEEDBACK_WEBHOOKS_ALLOW_PRIVATE"]:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise DeliveryRefused(f"cannot resolve {host!r}: {exc}") from exc
    for info in infos:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
            str(info[4][0]).split("%")[0]
        )
        # ::ffff:127.0.0.1 is loopback too, though Python 3.11 does not say so.
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        # Not global covers private, loopback, link-local, shared, reserved and unspecified.
        if not address.is_global or address.is_multicast:
            raise DeliveryRefused(f"{host} resolves to {address}, a non-public address")


def _slack_text(payload: dict[str, Any]) -> str:
    event, data = payload.get("type", ""), payload.get("data") or {}
    if event.startswith("response."):
        comment = (data.get("comment") or "").strip()
        if len(comment) > 300:
            comment = comment[:297] + "..."
        lines = [f"{event}: {str(data.get('kind', '')).upper()} score {data.get('score')}"]
        if comment:
            lines.append(f"> {comment}")
        lines.append(response_link(int(data["id"])))
        return "\n".join(lines)
    if event.startswith("case."):
        lines = [
            f"Case #{data.get('id')}: {str(data.get('kind', '')).upper()} score "
            f"{data.get('score')}, {data.get('status')}, owner {data.get('owner') or 'none'}"
        ]
        changes = data.get("changes") or {}
        for name, change in changes.items():
            if isinstance(change, list) and len(change) == 2:
                lines.append(f"{name}: {change[0]} → {change[1]}")
        comment = (data.get("comment") or "").strip()
        if event == "case.opened" and comment:
            lines.append("> " + (comment[:297] + "..." if len(comment) > 300 else comment))
        lines.append(str(data.get("link", "")))
        return "\n".join(lines)
    if event == "analysis.completed":
        themes = ", ".join(t["theme"] for t in data.get("themes", [])) or "no theme"
        return f"Analysed: {data.get('sentiment')} ({themes})\n{response_link(int(data['id']))}"
    return event


def _escape_slack(text: str) -> str:
    # Slack reads <...> as links and mentions; what a respondent typed must stay plain text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body_for(hook_format: str, payload: dict[str, Any]) -> bytes:
    """The bytes posted: the event itself, or a Slack-compatible message about it."""
    if hook_format == "slack":
        return json.dumps({"text": _escape_slack(_slack_text(payload))}).encode()
    return json.dumps(payload, separators=(",", ":")).encode()


def _due(now: Any) -> Any:
    waiting = and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
    taken = and_(
        WebhookDelivery.status == "sending",
        abandoned(WebhookDelivery.claimed_at, "FEEDBACK_WEBHOOK_CLAIM_SECONDS", now),
    )
    return or_(waiting, taken)


def _claim(limit: int) -> tuple[str, list[WebhookDelivery]]:
    now = utcnow()
    order = [WebhookDelivery.next_attempt_at, WebhookDelivery.id]
    values = {"status": "sending", "claimed_at": now}
    token, ids = claim(WebhookDelivery, _due(now), order, limit, "claim", values)
    if not ids:
        return token, []
    claimed = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.claim == token)
        .order_by(WebhookDelivery.id)
        .execution_options(populate_existing=True)
    ).all()
    return token, list(claimed)


@dataclass
class _Outcome:
    ok: bool
    status: int | None = None
    body: str | None = None
    error: str | None = None


def _post(hook: Webhook, delivery: WebhookDelivery) -> _Outcome:
    try:
        check_address(hook.url)
    except DeliveryRefused as exc:
        return _Outcome(False, error=f"refused: {exc}")
    body = body_for(hook.format, delivery.payload)
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": "feedback-webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(hook.secret, delivery.message_id, timestamp, body),
    }
    timeout = float(current_app.config["FEEDBACK_WEBHOOK_TIMEOUT"])
    try:
        # No redirects: a public URL must not bounce the request onto a private address.
        answer = requests.post(
            hook.url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        )
    except requests.RequestException as exc:
        return _Outcome(False, error=f"{type(exc).__name__}: {exc}"[:EXCERPT])
    excerpt = answer.text[:EXCERPT] if answer.text else None
    if 200 <= answer.status_code < 300:
        return _Outcome(True, answer.status_code, excerpt)
    return _Outcome(False, answer.status_code, excerpt, f"HTTP {answer.status_code}")


def _finish(delivery: WebhookDelivery, token: str, outcome: _Outcome, final: bool = False) -> None:
    """Store an attempt, only if this worker still holds the claim; `final` allows no retry."""
    now = utcnow()
    attempts = delivery.attempts + 1
    entry = {"at": now.isoformat() + "Z", "status": outcome.status, "error": outcome.error}
    values: dict[str, Any] = {
        "claim": None,
        "attempts": attempts,
        "response_status": outcome.status,
        "response_body": outcome.body,
        "last_error": outcome.error,
        "history": [*(delivery.history or []), entry],
    }
    if outcome.ok:
        values.update(status="delivered", delivered_at=now)
    elif final or attempts > len(RETRY_DELAYS):
        values["status"] = "failed"
    else:
        values.update(status="pending", next_attempt_at=now + RETRY_DELAYS[attempts - 1])
    with writing():
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery.id, WebhookDelivery.claim == token)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def deliver_due(limit: int = BATCH) -> int:
    """Post one batch of due deliveries; the number handled (delivered or not)."""
    token, batch = _claim(limit)
    if not batch:
        return 0
    hooks = {
        h.id: h
        for h in db.session.scalars(
            select(Webhook).where(
                Webhook.workspace_id.in_({d.workspace_id for d in batch}),
                Webhook.id.in_({d.webhook_id for d in batch}),
            )
        )
    }
    for delivery in batch:
        hook = hooks.get(delivery.webhook_id)
        if hook is None or not hook.active:
            _finish(delivery, token, _Outcome(False, error="the webhook is inactive"), final=True)
            continue
        outcome = _post(hook, delivery)
        if not outcome.ok:
            log.warning("webhook delivery %s failed: %s", delivery.id, outcome.error)
        _finish(delivery, token, outcome)
    return len(batch)
