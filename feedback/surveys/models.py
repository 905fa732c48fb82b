"""A survey: what is asked, on which scale, and what follows each score."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.database import WorkspaceOwned, new_token, utcnow
from feedback.extensions import db
from feedback.surveys.definition import loop_settings

STATUSES = ("draft", "active", "paused", "archived")


class Survey(WorkspaceOwned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True, default=new_token)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(Text)
    scale: Mapped[dict[str, Any]] = mapped_column(JSON)
    followups: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    targeting: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    branding: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Closing the loop: {"cases": bool, "at_or_below": score, "resurvey_days": days}.
    loop: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    workspace = relationship("Workspace", back_populates="surveys")

    @property
    def definition(self) -> dict[str, Any]:
        """The survey as the follow-up rules and the widget read it."""
        return {
            "kind": self.kind,
            "question": self.question,
            "scale": self.scale,
            "followups": self.followups,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.public_id,
            "name": self.name,
            "kind": self.kind,
            "question": self.question,
            "scale": self.scale,
            "followups": self.followups,
            "channels": self.channels,
            "targeting": self.targeting,
            "branding": self.branding,
            "loop": loop_settings(self.kind, self.scale, self.loop),
            "status": self.status,
            "created_at": self.created_at.isoformat() + "Z",
            "updated_at": self.updated_at.isoformat() + "Z",
        }

    def public_config(self) -> dict[str, Any]:
        """What the widget and the hosted page need: nothing private."""
        return {
            "id": self.public_id,
            "kind": self.kind,
            "question": self.question,
            "scale": self.scale,
            "followups": self.followups,
            "branding": self.branding,
        }
