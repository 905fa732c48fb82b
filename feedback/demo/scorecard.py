"""The demo's KPI scorecard: targets owned by members, and six months of pushed outside figures."""

from __future__ import annotations

import random
from datetime import timedelta

from feedback.accounts.models import Workspace
from feedback.database import utcnow
from feedback.demo.content import content
from feedback.scorecard import kpis


def set_scorecard(workspace: Workspace, rng: random.Random, users: dict[str, int]) -> None:
    """Targets for every perspective, each owned by a member (`users`: their ids by email),
    and six months of pushed outside KPIs."""
    company = content("workspace")
    for metric, target in company["kpi_targets"].items():
        owner = target.pop("owner")
        kpis.set_target(workspace, metric, {**target, "owner_id": users[owner]})
    today = utcnow().date().replace(day=1)
    values = []
    for back in range(6, 0, -1):
        month = (today - timedelta(days=28 * back)).replace(day=1)
        values += [
            {
                "metric": series["metric"],
                "date": month.isoformat(),
                "value": round(rng.uniform(*series["range"]), series["digits"]),
                "unit": series["unit"],
            }
            for series in company["kpi_values"]
        ]
    kpis.push_values(workspace, values)
