"""KPI targets and owners, and outside KPI values: the balanced scorecard's other half."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import func, select

from feedback.accounts.models import Workspace
from feedback.database import in_workspace, owned_by, use_case, utcnow
from feedback.errors import Invalid, object_of
from feedback.extensions import db, upsert
from feedback.metrics.models import PERSPECTIVES
from feedback.scorecard.models import KpiTarget, KpiValue

_METRIC = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_VALUES = 1000


def _metric(value: Any, field: str = "metric") -> str:
    if not isinstance(value, str) or not _METRIC.fullmatch(value):
        raise Invalid("A metric name is 1 to 64 of a-z, 0-9 and _ (nps, churn_rate, ...).", field)
    return value


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("Must be a number.", field)
    return float(value)


@use_case
def set_target(workspace: Workspace, metric: str, payload: Any) -> KpiTarget:
    """Create or change the target, owner and perspective of one KPI."""
    metric = _metric(metric)
    payload = object_of(payload, ("target", "owner", "perspective", "higher_is_better"))
    value = _number(payload.get("target"), "target")
    owner = payload.get("owner")
    if owner is not None and (not isinstance(owner, str) or len(owner) > 320):
        raise Invalid("Must be a name or email of at most 320 characters.", "owner")
    perspective = payload.get("perspective", "customer")
    if perspective not in PERSPECTIVES:
        raise Invalid(f"Must be one of: {', '.join(PERSPECTIVES)}.", "perspective")
    higher = payload.get("higher_is_better", True)
    if not isinstance(higher, bool):
        raise Invalid("Must be true or false.", "higher_is_better")
    # Checked in full before anything enters the session: a refused call changes nothing.
    target = db.session.scalar(
        in_workspace(KpiTarget, workspace.id).where(KpiTarget.metric == metric)
    )
    if target is None:
        target = KpiTarget(workspace_id=workspace.id, metric=metric)
        db.session.add(target)
    target.target, target.owner = value, owner
    target.perspective, target.higher_is_better = perspective, higher
    db.session.flush()
    return target


def targets(workspace: Workspace) -> dict[str, KpiTarget]:
    return {t.metric: t for t in db.session.scalars(in_workspace(KpiTarget, workspace.id))}


@use_case
def push_values(workspace: Workspace, payload: Any) -> int:
    """Store outside KPI values [{metric, date, value, unit}]; a day pushed again is replaced."""
    if not isinstance(payload, list) or not 0 < len(payload) <= MAX_VALUES:
        raise Invalid(f"Send a list of 1 to {MAX_VALUES} values.")
    rows = []
    for i, item in enumerate(payload):
        item = object_of(item, ("metric", "date", "value", "unit"), f"[{i}]")
        try:
            day = date.fromisoformat(item.get("date", ""))
        except (TypeError, ValueError) as exc:
            raise Invalid("Must be a date like 2026-01-31.", f"[{i}].date") from exc
        unit = item.get("unit")
        if unit is not None and (not isinstance(unit, str) or len(unit) > 16):
            raise Invalid("Must be at most 16 characters.", f"[{i}].unit")
        rows.append(
            {
                "workspace_id": workspace.id,
                "metric": _metric(item.get("metric"), f"[{i}].metric"),
                "day": day,
                "value": _number(item.get("value"), f"[{i}].value"),
                "unit": unit,
                "created_at": utcnow(),
            }
        )
    stmt = upsert(KpiValue)
    stmt = stmt.on_conflict_do_update(
        index_elements=["workspace_id", "metric", "day"],
        set_={"value": stmt.excluded.value, "unit": stmt.excluded.unit},
    )
    db.session.execute(stmt, rows)
    return len(rows)


def latest_values(workspace: Workspace) -> dict[str, dict[str, Any]]:
    """Each outside KPI's latest value and the one before it."""
    ranked = (
        select(
            KpiValue.metric,
            KpiValue.day,
            KpiValue.value,
            KpiValue.unit,
            func.row_number()
            .over(partition_by=KpiValue.metric, order_by=KpiValue.day.desc())
            .label("rank"),
        )
        .where(owned_by(KpiValue, workspace.id))
        .subquery()
    )
    out: dict[str, dict[str, Any]] = {}
    for row in db.session.execute(select(ranked).where(ranked.c.rank <= 2).order_by(ranked.c.rank)):
        entry = out.setdefault(row.metric, {"metric": row.metric, "unit": row.unit})
        if row.rank == 1:
            entry.update(value=row.value, day=row.day.isoformat())
        else:
            entry["previous"] = row.value
    return out


def status(
    value: float | None, target: KpiTarget | None, interval: list[float] | None = None
) -> str:
    """on track, off track, or uncertain (the target lies inside the confidence interval)."""
    if value is None or target is None:
        return "no target" if target is None else "no data"
    if interval and interval[0] <= target.target <= interval[1]:
        return "uncertain"
    good = value >= target.target if target.higher_is_better else value <= target.target
    return "on track" if good else "off track"
