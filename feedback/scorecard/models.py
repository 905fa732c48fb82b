"""KPI targets with their owners, and KPI values pushed from other systems (churn, FRT...)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
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
    # Free text over the API; the member's email when an owner is chosen among the members.
    owner: Mapped[str | None] = mapped_column(String(320))
    owner_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id", ondelete="SET NULL"))
    # How far short of the target still counts as "at risk" rather than "off track".
    at_risk: Mapped[float | None]
    perspective: Mapped[str] = mapped_column(String(12), default="customer")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "target": self.target,
            "higher_is_better": self.higher_is_better,
            "owner": self.owner,
            "owner_id": self.owner_id,
            "at_risk": self.at_risk,
            "perspective": self.perspective,
        }


class KpiTargetChange(WorkspaceOwned, db.Model):
    """One change of a KPI's target, from a page or the API: who, when, before and after."""

    __table_args__ = (Index("ix_kpi_target_change_ws_metric_at", "workspace_id", "metric", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(64))
    # A member's email, or "api key <name>": kept as text, so it outlives the member or key.
    actor: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The target's fields (KpiTarget.to_dict) before the change (None: it had none) and after.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)


class KpiValue(WorkspaceOwned, db.Model):
    """A value of an outside KPI for a day (pushing the same day again replaces it)."""

    __table_args__ = (UniqueConstraint("workspace_id", "metric", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(64))
    day: Mapped[date]
    value: Mapped[float]
    unit: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
