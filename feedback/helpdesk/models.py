"""Helpdesk tickets: their operational figures, and the CSAT invite each solved one gets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedback.database import WorkspaceOwned, utcnow
from feedback.extensions import db


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


class Ticket(WorkspaceOwned, db.Model):
    """One helpdesk ticket, as the helpdesk last described it (idempotent on its own id)."""

    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200))
    requester_email: Mapped[str | None] = mapped_column(String(320))
    requester_id: Mapped[str | None] = mapped_column(String(200))
    requester_name: Mapped[str | None] = mapped_column(String(200))
    agent: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str | None] = mapped_column(String(200))
    opened_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    solved_at: Mapped[datetime | None]
    reopens: Mapped[int] = mapped_column(default=0)
    contacts: Mapped[int | None]
    first_response_seconds: Mapped[int | None]
    resolution_seconds: Mapped[int | None]
    one_touch: Mapped[bool | None]
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Who solved it when the CSAT invite was made: the agent the score is credited to.
    solved_by: Mapped[str | None] = mapped_column(String(200))
    # Set by the one call that makes the invite, so a retry (or a twin call) makes none.
    invite_requested_at: Mapped[datetime | None]
    invite_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("email_invite.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.external_id,
            "requester": {
                "email": self.requester_email,
                "id": self.requester_id,
                "name": self.requester_name,
            },
            "agent": self.agent,
            "team": self.team,
            "plan": self.plan,
            "created_at": _iso(self.opened_at),
            "first_response_at": _iso(self.first_response_at),
            "solved_at": _iso(self.solved_at),
            "reopens": self.reopens,
            "contacts": self.contacts,
            "first_response_seconds": self.first_response_seconds,
            "resolution_seconds": self.resolution_seconds,
            "one_touch": self.one_touch,
            "solved_by": self.solved_by,
            "invite": self.invite_id,
        }
