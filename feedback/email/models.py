"""Email invites (one survey sent to one person) and the addresses that asked for no more."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.database import WorkspaceOwned, utcnow
from feedback.extensions import db

# scheduled -> sending (claimed by a worker) -> sent -> answered; or suppressed (throttled,
# unsubscribed, survey closed) or failed (gave up after retries). Never sent twice.
INVITE_STATUSES = ("scheduled", "sending", "sent", "answered", "suppressed", "failed")


def _secret() -> str:
    return secrets.token_urlsafe(16)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


class EmailInvite(WorkspaceOwned, db.Model):
    __table_args__ = (
        UniqueConstraint("workspace_id", "secret"),
        # What the send and reminder jobs look for.
        Index("ix_email_invite_status_scheduled", "status", "scheduled_at"),
        Index("ix_email_invite_ws_email", "workspace_id", "email"),
        # What the job that counts clicked scores looks for.
        Index(
            "ix_email_invite_click_pending",
            "click_at",
            sqlite_where=text("click_state = 'pending'"),
            postgresql_where=text("click_state = 'pending'"),
        ),
    )

    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        db.ForeignKey("survey.id", ondelete="CASCADE"), index=True
    )
    respondent_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("respondent.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    # A re-survey after a resolved case: the one invite allowed past the recontact wait.
    case_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("feedback_case.id", ondelete="SET NULL"), index=True
    )
    external_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    # Travels with the response: agent, team, ticket_id, plan, ...
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Never shown to anyone: the response's client id is derived from it, so nobody who only
    # knows the invite's number can answer in the invitee's name.
    secret: Mapped[str] = mapped_column(String(32), default=_secret)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    suppressed_reason: Mapped[str | None] = mapped_column(String(300))
    scheduled_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    # "form" (the page's Send, which always wins) or "click" (a score link a browser opened).
    answered_via: Mapped[str | None] = mapped_column(String(5))
    # The last score link a browser opened, and what became of it (services/score_clicks):
    # "pending" waits out the scanner window, "doubted" (another score of this mail was opened
    # within it) never counts, "counted" was recorded.
    click_score: Mapped[int | None]
    click_at: Mapped[datetime | None]
    click_state: Mapped[str | None] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey = relationship("Survey")

    @property
    def client_id(self) -> str:
        """The id of the response this invite makes: one per invite, whatever is clicked."""
        return "email." + self.secret

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "survey": self.survey.public_id if self.survey else None,
            "email": self.email,
            "respondent": self.external_id,
            "name": self.name,
            "context": self.context,
            "status": self.status,
            "suppressed_reason": self.suppressed_reason,
            "scheduled_at": _iso(self.scheduled_at),
            "sent_at": _iso(self.sent_at),
            "reminded_at": _iso(self.reminded_at),
            "answered_at": _iso(self.answered_at),
            "answered_via": self.answered_via,
            "attempts": self.attempts,
            "last_error": self.last_error,
        }


class Unsubscribe(WorkspaceOwned, db.Model):
    """An address that asked this workspace for no more survey mail."""

    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(20), default="link")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestLog(WorkspaceOwned, db.Model):
    __table_args__ = (UniqueConstraint("workspace_id", "week"),)

    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Monday (local date) of the week the digest was sent in.
    week: Mapped[date]
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
