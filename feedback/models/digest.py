"""The weekly digests already sent: one row per workspace per week, never two."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.models.base import WorkspaceOwned, utcnow


class DigestLog(WorkspaceOwned, db.Model):
    __table_args__ = (UniqueConstraint("workspace_id", "week"),)

    workspace_id: Mapped[int] = mapped_column(db.ForeignKey("workspace.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Monday (local date) of the week the digest was sent in.
    week: Mapped[date]
    recipients: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
