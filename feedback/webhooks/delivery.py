"""Delivering queued webhook events (Standard Webhooks), with retries and a log.

A batch is claimed with a token (ids selected FOR UPDATE SKIP LOCKED on PostgreSQL, then
updated), so two workers never post one delivery twice. Each POST carries webhook-id,
webhook-timestamp and webhook-signature (`v1,` and the base64 HMAC-SHA256 of
"id.timestamp.body"). The URL is checked again before each post (see `webhook_targets`) and
the post goes to the very address checked, with no second lookup of the name; redirects are
not followed. A refused or unreachable receiver is retried after 30 s, 2 min, 10 min,
1 h and 6 h, then the delivery is marked failed; every attempt is kept in its history. A
worker that dies mid-batch leaves its claim; after FEEDBACK_WEBHOOK_CLAIM_SECONDS the delivery
is posted again, with its first webhook-id, which receivers use to drop repeats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import urllib3
from flask import current_app
from sqlalchemy import and_, or_, select, update
from urllib3.exceptions import ConnectTimeoutError, HTTPError

from feedback.claims import abandoned, claim
from feedback.database import utcnow
from feedback.extensions import db, writing
from feedback.webhooks.models import Webhook, WebhookDelivery
from feedback.webhooks.service import response_link
from feedback.webhooks.targets import Address, Target, TargetRefused, check_url

log = logging.getLogger(__name__)

RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
)
BATCH = 20
# What is kept of a receiver's answer or an error: enough to tell what went wrong.
EXCERPT = 300


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value for one message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


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
        target = check_url(hook.url)
    except TargetRefused as exc:
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
        status, excerpt = _send(target, body, headers, timeout)
    except HTTPError as exc:
        return _Outcome(False, error=_plain(f"{type(exc).__name__}: {exc}"))
    if 200 <= status < 300:
        return _Outcome(True, status, excerpt)
    # A redirect is not followed: a public URL must not bounce the post onto a private address.
    moved = " (redirects are not followed)" if 300 <= status < 400 else ""
    return _Outcome(False, status, excerpt, f"HTTP {status}{moved}")


def _pool(target: Target, address: Address, timeout: float) -> urllib3.HTTPConnectionPool:
    # The pool's host is the checked address, so urllib3 looks nothing up; the name goes only
    # into the Host header and, for https, into SNI and the certificate's hostname check.
    options: dict[str, Any] = {
        "port": target.port,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "retries": False,
        "maxsize": 1,
    }
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            str(address),
            server_hostname=target.name,
            assert_hostname=target.name,
            cert_reqs="CERT_REQUIRED",
            **options,
        )
    return urllib3.HTTPConnectionPool(str(address), **options)


def _send(
    target: Target, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, str | None]:
    """POST to the checked addresses in turn, moving on only when no connection could be
    made; the answer's status and excerpt."""
    headers = {**headers, "host": target.host_header}
    if target.userinfo is not None:
        headers.update(urllib3.make_headers(basic_auth=target.userinfo))
    *others, last = target.addresses
    for address in others:
        try:
            return _post_to(target, address, body, headers, timeout)
        except ConnectTimeoutError:  # refused or unanswered (NewConnectionError is one too)
            continue
    return _post_to(target, last, body, headers, timeout)


def _post_to(
    target: Target, address: Address, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, str | None]:
    with _pool(target, address, timeout) as pool:
        answer = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=headers,
            redirect=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            return answer.status, _excerpt(answer)
        finally:
            answer.close()  # the rest is left unread


def _excerpt(answer: urllib3.BaseHTTPResponse) -> str | None:
    """The start of a text or JSON answer as plain text; nothing of any other kind."""
    kind = answer.headers.get("content-type", "").partition(";")[0].strip().lower()
    if not (kind.startswith("text/") or kind == "application/json" or kind.endswith("+json")):
        return None
    try:
        # Four bytes are enough for any character in UTF-8.
        text = answer.read(EXCERPT * 4).decode("utf-8", errors="replace")
    except HTTPError:
        return None  # the status is the answer; a body cut short does not undo it
    return _plain(text) or None


def _plain(text: str) -> str:
    """At most EXCERPT characters with control and formatting characters made spaces."""
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return cleaned.strip()[:EXCERPT]


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
