"""The demo's KPI scorecard: targets owned by members, and six months of pushed outside figures."""

from __future__ import annotations

import random
from datetime import timedelta

from feedback.accounts.models import Workspace
from feedback.database import utcnow
from feedback.demo.content import content
from feedback.scorecard import kpis

WEEKS = 26


def set_scorecard(workspace: Workspace, rng: random.Random, users: dict[str, int]) -> None:
    """Targets for every perspective, each owned by a member (`users`: their ids by email),
    and six months of pushed outside KPIs."""
    company = content("workspace")
    for metric, target in company["kpi_targets"].items():
        owner = target.pop("owner")
        kpis.set_target(workspace, metric, {**target, "owner_id": users[owner]})
    today = utcnow().date()
    monday = today - timedelta(days=today.weekday())
    values = []
    # A weekly reading for six months, drifting from one end of its range towards the other
    # with noise, so each has a trajectory to show.
    for back in range(WEEKS, 0, -1):
        day = monday - timedelta(weeks=back)
        along = (WEEKS - back) / (WEEKS - 1)
        for series in company["kpi_values"]:
            low, high = series["range"]
            value = low + (high - low) * (0.6 * along + rng.uniform(0, 0.4))
            values.append(
                {
                    "metric": series["metric"],
                    "date": day.isoformat(),
                    "value": round(value, series["digits"]),
                    "unit": series["unit"],
                }
            )
    kpis.push_values(workspace, values)
