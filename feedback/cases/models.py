"""Closing the loop: a case per unhappy respondent, its audit trail, notes and routing rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.database import WorkspaceOwned, utcnow
from feedback.extensions import db

# open -> in_progress -> waiting (on the customer) -> resolved | wont_fix; merged into another.
CASE_STATUSES = ("open", "in_progress", "waiting", "resolved", "wont_fix", "merged")
OPEN_STATUSES = ("open", "in_progress", "waiting")
CLOSED_STATUSES = ("resolved", "wont_fix", "merged")
RESOLUTIONS = (
    "fixed",
    "explained",
    "refunded",
    "feature_request",
    "bug_reported",
    "no_response",
    "other",
    # The respondent changed their score out of the low band (set by the system, or by hand).
    "recovered",
)
NOTE_KINDS = ("note", "reply", "answer")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


class Case(WorkspaceOwned, db.Model):
    """One unhappy response someone owns until it is resolved."""

    __tablename__ = "feedback_case"
    __table_args__ = (
        # A retried or updated response finds its case here instead of opening a second one.
        UniqueConstraint("response_id"),
        Index("ix_case_ws_status_due", "workspace_id", "status", "due_at"),
        Index("ix_case_ws_owner_status", "workspace_id", "owner_id", "status"),
        # The closing-the-loop figures read the cases opened in a period: every column they
        # need is in the index, so they never touch the table.
        Index(
            "ix_case_loop_figures",
            "workspace_id",
            "opened_at",
            "status",
            "due_at",
            "resolved_at",
            "first_action_at",
            "team",
            "owner_id",
            "respondent_id",
            "response_id",
        ),
        # The cases list filtered by a theme finds those with it as their root cause.
        Index("ix_case_ws_root_cause", "workspace_id", "root_cause_theme_id"),
        # The routing job reads only the cases it has not routed yet.
        Index(
            "ix_case_unrouted",
            "id",
            sqlite_where=text("routed_at IS NULL"),
            postgresql_where=text("routed_at IS NULL"),
        ),
    )

    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # SET NULL: a purged or erased response leaves the case's figures and trail behind.
    response_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("response.id", ondelete="SET NULL")
    )
    respondent_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("respondent.id", ondelete="SET NULL"), index=True
    )
    survey_id: Mapped[int | None] = mapped_column(db.ForeignKey("survey.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(8))
    score: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="open")
    owner_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id", ondelete="SET NULL"))
    team: Mapped[str | None] = mapped_column(String(200))
    # Which rule routed it ("rule:<id>", "round_robin", "manual"): shown, and audited.
    assigned_by: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(10), default="auto")
    # When the low score arrived; `created_at`, when the case was written, a moment later for
    # a case a stored response's effects opened (feedback.responses.effects).
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    routed_at: Mapped[datetime | None]
    first_action_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(20))
    root_cause_theme_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("theme.id", ondelete="SET NULL")
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("feedback_case.id", ondelete="SET NULL")
    )
    # The helpdesk's own id for the case, when it mirrors it there.
    external_id: Mapped[str | None] = mapped_column(String(200))
    # When the "did we fix it?" survey goes out (its invite points back here by case_id).
    resurvey_at: Mapped[datetime | None]
    # When the respondent last changed the score of this case's response: for the recovered
    # rate, that changed score is their next answer.
    score_changed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner = relationship("User")
    response = relationship("Response")
    respondent = relationship("Respondent")
    survey = relationship("Survey")
    root_cause = relationship("Theme")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at < now

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "kind": self.kind,
            "score": self.score,
            "response": self.response.client_id if self.response else None,
            "survey": self.survey.public_id if self.survey else None,
            "respondent": self.respondent.external_id if self.respondent else None,
            "owner": self.owner.email if self.owner else None,
            "team": self.team,
            "assigned_by": self.assigned_by,
            "source": self.source,
            "opened_at": _iso(self.opened_at),
            "due_at": _iso(self.due_at),
            "overdue": self.overdue(utcnow()),
            "first_action_at": _iso(self.first_action_at),
            "resolved_at": _iso(self.resolved_at),
            "resolution": self.resolution,
            "root_cause": self.root_cause.slug if self.root_cause else None,
            "merged_into": self.merged_into_id,
            "external_id": self.external_id,
            "resurvey_at": _iso(self.resurvey_at),
        }


class CaseEvent(WorkspaceOwned, db.Model):
    """The audit trail: who did what to a case, and when. Rows are only ever added."""

    __table_args__ = (Index("ix_case_event_case_at", "case_id", "at"),)

    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(db.ForeignKey("feedback_case.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id", ondelete="SET NULL"))
    # Kept as text too: the trail still names a user who has since been removed.
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The helpdesk's event id, so a retried incoming update is applied once.
    external_id: Mapped[str | None] = mapped_column(String(200))

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": _iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "detail": self.detail,
        }


class CaseNote(WorkspaceOwned, db.Model):
    """An internal note, a reply mailed to the respondent, or the respondent's answer."""

    __table_args__ = (
        Index("ix_case_note_case", "case_id", "created_at"),
        Index(
            "ix_case_note_unsent",
            "id",
            sqlite_where=text("mail_status = 'pending'"),
            postgresql_where=text("mail_status = 'pending'"),
        ),
    )

    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(db.ForeignKey("feedback_case.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    # Replies only: pending -> sending -> sent, or failed after retries.
    mail_status: Mapped[str | None] = mapped_column(String(10))
    mail_to: Mapped[str | None] = mapped_column(String(320))
    mail_attempts: Mapped[int] = mapped_column(default=0)
    mail_claim: Mapped[str | None] = mapped_column(String(32))
    mail_error: Mapped[str | None] = mapped_column(Text)
    # When a pending reply may be tried again; while "sending", when it was claimed.
    mail_next_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "author": self.author,
            "body": self.body,
            "mail_status": self.mail_status,
            "created_at": _iso(self.created_at),
            "sent_at": _iso(self.sent_at),
        }


RULE_FIELDS = ("survey", "kind", "theme", "team", "agent", "plan", "segment")


class CaseRule(WorkspaceOwned, db.Model):
    """Who owns a new case: the first enabled rule, by position, whose conditions all hold."""

    __table_args__ = (UniqueConstraint("workspace_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    # {"theme": "pricing"}, {"team": "Billing"}, {"kind": "csat", "agent": "Sam"},
    # {"segment": {"field": "company_size", "value": "enterprise"}} ...
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    owner_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id", ondelete="SET NULL"))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner = relationship("User")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "position": self.position,
            "name": self.name,
            "conditions": self.conditions,
            "owner": self.owner.email if self.owner else None,
            "enabled": self.enabled,
        }
