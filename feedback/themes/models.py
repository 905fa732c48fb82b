"""Themes, the tags they put on responses, the workspace's models and analysis runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from feedback.database import WorkspaceOwned, utcnow
from feedback.extensions import db


class Theme(WorkspaceOwned, db.Model):
    """One theme of a workspace's taxonomy: seed phrases and exclusions, editable."""

    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    exclusions: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)
    # The owner of a theme (e.g. the pricing lead) is who its cases go to.
    owner: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "description": self.description,
            "phrases": self.phrases,
            "exclusions": self.exclusions,
            "owner": self.owner,
        }


class ResponseTheme(WorkspaceOwned, db.Model):
    """A theme on a response, with its sentiment there and the words that show it.

    Rows from the machine are `auto`; an analyst's are `manual` and are never overwritten:
    a manual row with `removed` says the theme does not apply, so analysis cannot bring it back.
    """

    __table_args__ = (
        UniqueConstraint("response_id", "theme_id"),
        Index("ix_response_theme_ws_theme", "workspace_id", "theme_id"),
        # Theme figures join a period's responses to their tags: read from the index alone.
        Index("ix_response_theme_figures", "response_id", "removed", "theme_id", "sentiment"),
        # The label count (comments an analyst reviewed) reads the manual tags alone.
        Index(
            "ix_response_theme_manual",
            "workspace_id",
            "response_id",
            sqlite_where=text("source = 'manual'"),
            postgresql_where=text("source = 'manual'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))
    response_id: Mapped[int] = mapped_column(db.ForeignKey("response.id", ondelete="CASCADE"))
    theme_id: Mapped[int] = mapped_column(db.ForeignKey("theme.id", ondelete="CASCADE"))
    sentiment: Mapped[str] = mapped_column(String(10))
    confidence: Mapped[float] = mapped_column(default=1.0)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(10), default="auto")
    removed: Mapped[bool] = mapped_column(default=False)
    model_version: Mapped[str | None] = mapped_column(String(64))
    tagged_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NlpModel(WorkspaceOwned, db.Model):
    """A theme model trained for a workspace, with its cross-validated figures."""

    __table_args__ = (UniqueConstraint("workspace_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # active, retired, rejected
    path: Mapped[str | None] = mapped_column(String(500))
    label_count: Mapped[int] = mapped_column(default=0)
    precision: Mapped[float | None]
    recall: Mapped[float | None]
    f1: Mapped[float | None]
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trained_at: Mapped[datetime] = mapped_column(default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "status": self.status,
            "label_count": self.label_count,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "per_theme": (self.report or {}).get("per_theme", {}),
            "trained_at": self.trained_at.isoformat() + "Z",
        }


class AnalysisRun(WorkspaceOwned, db.Model):
    """A re-analysis of past comments (after a taxonomy or model change): its progress."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    total: Mapped[int] = mapped_column(default=0)
    # Responses up to this id belong to the run; later ones are new comments, not progress.
    last_id: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
