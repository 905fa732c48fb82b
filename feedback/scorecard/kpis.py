"""KPI targets and owners, and outside KPI values: the balanced scorecard's other half."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from feedback.accounts.models import Membership, User, Workspace
from feedback.audit import log as audit
from feedback.database import in_workspace, owned_by, use_case, utcnow
from feedback.errors import Invalid, object_of
from feedback.extensions import db, upsert
from feedback.metrics.models import PERSPECTIVES
from feedback.scorecard.models import KpiTarget, KpiTargetChange, KpiValue

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


def _member_email(workspace: Workspace, user_id: Any) -> str:
    """The email of the member `user_id` of this workspace; a user of no other will do."""
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise Invalid("Must be the id of a member of this workspace.", "owner_id")
    email = db.session.scalar(
        in_workspace(Membership, workspace.id, User.email)
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.user_id == user_id)
    )
    if email is None:
        raise Invalid("The owner must be a member of this workspace.", "owner_id")
    return email


@use_case
def set_target(workspace: Workspace, metric: str, payload: Any, actor: str = "system") -> KpiTarget:
    """Create or change the target, "at risk" margin, owner and perspective of one KPI, and
    keep the change with who made it (`actor`: a member's email, "api key <name>")."""
    metric = _metric(metric)
    payload = object_of(
        payload, ("target", "owner", "owner_id", "at_risk", "perspective", "higher_is_better")
    )
    value = _number(payload.get("target"), "target")
    owner = payload.get("owner")
    if owner is not None and (not isinstance(owner, str) or len(owner) > 320):
        raise Invalid("Must be a name or email of at most 320 characters.", "owner")
    owner_id = payload.get("owner_id")
    if owner_id is not None:
        # A member owns it: their email is the owner the API has always given.
        owner = _member_email(workspace, owner_id)
    at_risk = payload.get("at_risk")
    if at_risk is not None:
        at_risk = _number(at_risk, "at_risk")
        if at_risk < 0:
            raise Invalid("Must be a margin of 0 or more.", "at_risk")
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
    before = target.to_dict() if target is not None else None
    if target is None:
        target = KpiTarget(workspace_id=workspace.id, metric=metric)
        db.session.add(target)
    target.target, target.owner, target.owner_id = value, owner, owner_id
    target.at_risk, target.perspective, target.higher_is_better = at_risk, perspective, higher
    after = target.to_dict()
    if after != before:
        audit.record(
            "kpi_target.changed",
            workspace_id=workspace.id,
            target=metric,
            changes=audit.changes_between(before or {"metric": metric}, after),
        )
        db.session.add(
            KpiTargetChange(
                workspace_id=workspace.id,
                metric=metric,
                actor=actor[:320],
                at=utcnow(),
                before=before,
                after=after,
            )
        )
    db.session.flush()
    return target


def targets(workspace: Workspace) -> dict[str, KpiTarget]:
    return {t.metric: t for t in db.session.scalars(in_workspace(KpiTarget, workspace.id))}


def history(workspace: Workspace, per_metric: int = 5) -> dict[str, list[KpiTargetChange]]:
    """Each KPI's latest changes of target, newest first."""
    ranked = (
        select(
            KpiTargetChange.id,
            func.row_number()
            .over(
                partition_by=KpiTargetChange.metric,
                order_by=(KpiTargetChange.at.desc(), KpiTargetChange.id.desc()),
            )
            .label("rank"),
        )
        .where(owned_by(KpiTargetChange, workspace.id))
        .subquery()
    )
    rows = db.session.scalars(
        in_workspace(KpiTargetChange, workspace.id)
        .join(ranked, ranked.c.id == KpiTargetChange.id)
        .where(ranked.c.rank <= per_metric)
        .order_by(KpiTargetChange.metric, ranked.c.rank)
    )
    out: dict[str, list[KpiTargetChange]] = {}
    for change in rows:
        out.setdefault(change.metric, []).append(change)
    return out


# The fields of a target a change names, in the order people read them.
_CHANGED = (
    ("target", "target"),
    ("higher_is_better", "direction"),
    ("at_risk", "at risk within"),
    ("owner", "owner"),
    ("perspective", "perspective"),
)


def figure(value: float) -> str:
    """A target as it was typed: 40, not 40.0; 12.5 in full, never 1.2e+06."""
    return str(int(value)) if value.is_integer() else repr(value)


def _shown(key: str, value: Any) -> str:
    if value is None:
        return "none"
    if key == "higher_is_better":
        return "higher is better" if value else "lower is better"
    if isinstance(value, float):
        return figure(value)
    return str(value)


def describe(change: KpiTargetChange) -> list[str]:
    """What a change did, field by field: "target 30 → 40", "owner none → ann@…"."""
    before, after = change.before, change.after
    if before is None:
        return [f"{name} {_shown(key, after.get(key))}" for key, name in _CHANGED]
    return [
        f"{name} {_shown(key, before.get(key))} → {_shown(key, after.get(key))}"
        for key, name in _CHANGED
        if before.get(key) != after.get(key)
    ]


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


def weekly_values(workspace: Workspace, since: date) -> dict[str, dict[date, list[float]]]:
    """Each outside KPI's values from `since` on, by the Monday of their day's week."""
    rows = db.session.execute(
        select(KpiValue.metric, KpiValue.day, KpiValue.value)
        .where(owned_by(KpiValue, workspace.id), KpiValue.day >= since)
        .order_by(KpiValue.day)
    )
    out: dict[str, dict[date, list[float]]] = {}
    for metric, day, value in rows:
        monday = day - timedelta(days=day.weekday())
        out.setdefault(metric, {}).setdefault(monday, []).append(value)
    return out


def status(
    value: float | None, target: KpiTarget | None, interval: list[float] | None = None
) -> str:
    """on track, at risk, off track, or uncertain (the target lies inside the confidence
    interval). At risk: short of the target by no more than its `at_risk` margin, when set."""
    if value is None or target is None:
        return "no target" if target is None else "no data"
    if interval and interval[0] <= target.target <= interval[1]:
        return "uncertain"
    short = target.target - value if target.higher_is_better else value - target.target
    if short <= 0:
        return "on track"
    margin = target.at_risk
    return "at risk" if margin is not None and short <= margin else "off track"
