"""KPI targets with their owners, and KPI values pushed from other systems (churn, FRT...)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedback.database import WorkspaceOwned, utcnow
from feedback.extensions import db


class KpiTarget(WorkspaceOwned, db.Model):
    """The target of one KPI (a survey metric or a pushed one), who owns it, where it sits."""

    __table_args__ = (UniqueConstraint("workspace_id", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(64))
    target: Mapped[float]
    # Most KPIs are better higher; a response time is better lower.
    higher_is_better: Mapped[bool] = mapped_column(default=True)
    owner: Mapped[str | None] = mapped_column(String(320))
    perspective: Mapped[str] = mapped_column(String(12), default="customer")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "target": self.target,
            "higher_is_better": self.higher_is_better,
            "owner": self.owner,
            "perspective": self.perspective,
        }


class KpiValue(WorkspaceOwned, db.Model):
    """A value of an outside KPI for a day (pushing the same day again replaces it)."""

    __table_args__ = (UniqueConstraint("workspace_id", "metric", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(64))
    day: Mapped[date]
    value: Mapped[float]
    unit: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
