"""Respondents, displays and responses: the facts every metric is computed from."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.database import WorkspaceOwned, utcnow
from feedback.extensions import db

# Context fields common enough to deserve their own indexed column; any other key goes to
# the `context` JSON and can still be filtered and grouped on.
CONTEXT_COLUMNS = ("page_url", "feature", "agent", "team", "ticket_id", "plan")
CHANNELS = ("widget", "email", "link", "api")
# What a respondent's account did, as the CRM or billing system reports it.
RESPONDENT_EVENTS = ("churned", "renewed")
# A comment the analysis has not finished with: waiting, being analysed, or given up on. Written
# out with its values, not bound, so that a query holding this very condition can use the
# partial index below on SQLite as on PostgreSQL; query the open comments through it.
ANALYSIS_OPEN = "nlp_status IN ('pending', 'running', 'failed')"


class Respondent(WorkspaceOwned, db.Model):
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    # Its unique key starts with workspace_id: an index of its own would only slow every
    # respondent stored.
    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    # Written only by a verified source (an API key, the helpdesk, an email invite, a signed
    # identify), so it is the one address mail to this person may go to. What a public call
    # merely claims stays on its own response (Response.claimed_email).
    email: Mapped[str | None] = mapped_column(String(320))
    traits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_shown_at: Mapped[datetime | None]
    last_responded_at: Mapped[datetime | None]

    @property
    def label(self) -> str:
        """How pages name them: their name trait, else their email, else their id; a browser's
        anonymous id (64 characters) as "anonymous" with a short id of its own."""
        name = (self.traits or {}).get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
        if self.email:
            return self.email
        known = self.external_id or ""
        if known and not known.startswith("anon:"):
            return known if len(known) <= 24 else known[:20] + "…"
        return "anonymous " + short_id(known or str(self.id))


class RespondentEvent(WorkspaceOwned, db.Model):
    """A churn or a renewal of a respondent's account: what their scores are checked against."""

    __tablename__ = "respondent_event"
    __table_args__ = (
        Index("ix_respondent_event_ws_respondent_at", "workspace_id", "respondent_id", "at"),
    )

    # The index above starts with workspace_id.
    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_id: Mapped[int] = mapped_column(
        db.ForeignKey("respondent.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(10))
    # When it happened (as reported); created_at is when it was reported.
    at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def to_dict(self, external_id: str | None) -> dict[str, Any]:
        return {
            "id": self.id,
            "respondent": external_id,
            "event": self.event,
            "at": self.at.isoformat() + "Z",
            "created_at": self.created_at.isoformat() + "Z",
        }


def short_id(value: str) -> str:
    """Six characters that tell one long id from another on a page (not reversible)."""
    return "#" + hashlib.sha256(value.encode()).hexdigest()[:6]


class Display(WorkspaceOwned, db.Model):
    __table_args__ = (
        UniqueConstraint("workspace_id", "client_id"),
        Index("ix_display_ws_survey_shown", "workspace_id", "survey_id", "shown_at"),
    )

    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("survey.id", ondelete="CASCADE"))
    respondent_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("respondent.id", ondelete="SET NULL"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10), default="widget")
    page_url: Mapped[str | None] = mapped_column(String(500))
    shown_at: Mapped[datetime] = mapped_column(default=utcnow)
    dismissed_at: Mapped[datetime | None]


class Response(WorkspaceOwned, db.Model):
    __table_args__ = (
        UniqueConstraint("workspace_id", "client_id"),
        Index("ix_response_ws_submitted", "workspace_id", "submitted_at"),
        # Every survey figure reads a kind's responses in a period: with band, score, agent
        # and team in the index, the sums come from the index alone, never the table.
        Index(
            "ix_response_kind_figures",
            "workspace_id",
            "kind",
            "submitted_at",
            "band",
            "score",
            "agent",
            "team",
        ),
        Index("ix_response_ws_survey_submitted", "workspace_id", "survey_id", "submitted_at"),
        # A respondent's answers by kind in time: the latest NPS score before each churn or
        # renewal (the money by month) is one seek; any lookup by respondent reads it too.
        Index("ix_response_respondent_scored", "respondent_id", "kind", "submitted_at"),
        # The themes page counts and reads comments only: a small share of the responses.
        Index(
            "ix_response_commented",
            "workspace_id",
            "submitted_at",
            "nlp_status",
            sqlite_where=text("comment IS NOT NULL"),
            postgresql_where=text("comment IS NOT NULL"),
        ),
        # Theme discovery reads the newest comments no theme covers: those with phrases kept.
        Index(
            "ix_response_uncovered",
            "workspace_id",
            "submitted_at",
            sqlite_where=text("phrases IS NOT NULL"),
            postgresql_where=text("phrases IS NOT NULL"),
        ),
        # The themes page counts a period's comments left for an analyst to decide.
        Index(
            "ix_response_uncertain",
            "workspace_id",
            "submitted_at",
            sqlite_where=text("uncertain_themes IS NOT NULL"),
            postgresql_where=text("uncertain_themes IS NOT NULL"),
        ),
        # The analysis queue and its progress read only the comments not analysed yet: a new
        # comment is one entry here, and leaves it once analysed.
        Index(
            "ix_response_analysis_open",
            "workspace_id",
            "nlp_status",
            "id",
            sqlite_where=text(ANALYSIS_OPEN),
            postgresql_where=text(ANALYSIS_OPEN),
        ),
    )

    # The composite indexes above all start with workspace_id; one of its own would only
    # slow every insert.
    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("survey.id", ondelete="CASCADE"))
    respondent_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("respondent.id", ondelete="SET NULL")
    )
    display_id: Mapped[int | None] = mapped_column(db.ForeignKey("display.id", ondelete="SET NULL"))
    # Chosen by the client, so a retried request updates instead of creating a twin.
    client_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(Text)
    score: Mapped[int]
    band: Mapped[str] = mapped_column(String(10))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The open-text answers joined: what text search and the NLP pipeline read.
    comment: Mapped[str | None] = mapped_column(Text)
    page_url: Mapped[str | None] = mapped_column(String(500))
    feature: Mapped[str | None] = mapped_column(String(200))
    agent: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    ticket_id: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str | None] = mapped_column(String(200))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # How the respondent was named: "verified" (a verified source vouched for them) or
    # "claimed" (a public call said so, unsigned); None when nobody was named, or for a
    # response recorded before identities were checked.
    identity: Mapped[str | None] = mapped_column(String(10))
    # The address an unverified call gave: kept with this response only, never mailed.
    claimed_email: Mapped[str | None] = mapped_column(String(320))
    nlp_status: Mapped[str] = mapped_column(String(10), default="none")
    # The analysis queue lives on the row: claimed with a token, retried with back-off.
    nlp_attempts: Mapped[int] = mapped_column(default=0)
    nlp_claim: Mapped[str | None] = mapped_column(String(32))
    nlp_claimed_at: Mapped[datetime | None]
    nlp_retry_at: Mapped[datetime | None]
    nlp_error: Mapped[str | None] = mapped_column(Text)
    sentiment: Mapped[str | None] = mapped_column(String(10))
    # The candidate phrases of a comment no theme covers (found when it was analysed, or when
    # an analyst took its last theme off): what theme discovery counts.
    phrases: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    sentiment_score: Mapped[float | None]
    # Themes the analysis leaned towards without deciding: offered to an analyst, never counted.
    uncertain_themes: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    language: Mapped[str | None] = mapped_column(String(8))
    model_version: Mapped[str | None] = mapped_column(String(64))
    analysed_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    survey = relationship("Survey")
    respondent = relationship("Respondent")

    def to_dict(self) -> dict[str, Any]:
        context = {name: getattr(self, name) for name in CONTEXT_COLUMNS if getattr(self, name)}
        context.update(self.context or {})
        return {
            "id": self.id,
            "client_id": self.client_id,
            "survey": self.survey.public_id if self.survey else None,
            "kind": self.kind,
            "question": self.question,
            "score": self.score,
            "band": self.band,
            "answers": self.answers,
            "comment": self.comment,
            "channel": self.channel,
            "context": context,
            "respondent": self.respondent.external_id if self.respondent else None,
            "identity": self.identity,
            "claimed_email": self.claimed_email,
            "submitted_at": self.submitted_at.isoformat() + "Z",
            "updated_at": self.updated_at.isoformat() + "Z",
        }


class ResponseEffect(db.Model):
    """What a stored score still has to cause (its case, its webhook events): one row per
    recorded call, written in the response's own transaction and applied exactly once by the
    job runner (feedback.responses.effects), which deletes it in the transaction that applies
    it. The response is acknowledged without waiting for any of that work."""

    __tablename__ = "response_effect"

    # Applied in id order: a response's creation before its changes.
    id: Mapped[int] = mapped_column(primary_key=True)
    # Not an index of its own: the job reads by id, and deleting a workspace deletes its
    # responses, whose effects go with them.
    workspace_id: Mapped[int]
    response_id: Mapped[int] = mapped_column(db.ForeignKey("response.id", ondelete="CASCADE"))
    # The score this call stored, and the one it replaced (None for a new response).
    score: Mapped[int]
    previous_score: Mapped[int | None]
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
