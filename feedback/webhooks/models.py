"""Outgoing webhooks and their delivery log (one row per event per webhook)."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.database import WorkspaceOwned, utcnow
from feedback.extensions import db

WEBHOOK_EVENTS = (
    "response.created",
    "response.updated",
    "response.low_score",
    "analysis.completed",
    "case.opened",
    "case.updated",
)
WEBHOOK_FORMATS = ("json", "slack")
# pending -> sending (claimed by a worker) -> delivered; or back to pending with a later
# next_attempt_at after a failure, and failed once the retries are spent.
DELIVERY_STATUSES = ("pending", "sending", "delivered", "failed")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class Webhook(WorkspaceOwned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    format: Mapped[str] = mapped_column(String(10), default="json")
    secret: Mapped[str] = mapped_column(String(100), default=new_webhook_secret)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def to_dict(self, with_secret: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "events": self.events,
            "format": self.format,
            "active": self.active,
            "created_at": _iso(self.created_at),
        }
        if with_secret:
            out["secret"] = self.secret
        return out


class WebhookDelivery(WorkspaceOwned, db.Model):
    __table_args__ = (
        # What the delivery job looks for.
        Index("ix_webhook_delivery_status_next", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_hook_created", "webhook_id", "created_at"),
    )

    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(db.ForeignKey("webhook.id", ondelete="CASCADE"))
    # The webhook-id header: the same on every retry, so a receiver can drop duplicates.
    message_id: Mapped[str] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None]
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    # One entry per attempt: when, the HTTP status or the error.
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    webhook = relationship("Webhook")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "event": self.event,
            "payload": self.payload,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at) if self.status == "pending" else None,
            "response_status": self.response_status,
            "response_body": self.response_body,
            "last_error": self.last_error,
            "history": self.history,
            "delivered_at": _iso(self.delivered_at),
            "created_at": _iso(self.created_at),
        }
