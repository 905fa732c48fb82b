"""The helpdesk tickets behind the demo's CSAT answers, with their response and resolution times."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from feedback.accounts.models import Workspace
from feedback.demo.content import content
from feedback.extensions import db
from feedback.helpdesk.models import Ticket


def add_tickets(workspace: Workspace, rows: list[dict[str, Any]], rng: random.Random) -> None:
    """One solved ticket per CSAT response; better agents answer sooner and in one touch."""
    # How each agent's customers tend to score: shifts of the CSAT distribution.
    skills: dict[str, float] = content("workspace")["agent_skill"]
    tickets = [
        _ticket(workspace, row, skills.get(row["agent"], 0.0), rng)
        for row in rows
        if row["kind"] == "csat"
    ]
    db.session.execute(insert(Ticket), tickets)


def _ticket(
    workspace: Workspace, row: dict[str, Any], skill: float, rng: random.Random
) -> dict[str, Any]:
    solved = row["submitted_at"] - timedelta(hours=rng.uniform(20, 30))
    resolution = max(0.3, rng.gauss(9 - 3 * skill, 3))
    first = min(resolution, max(0.1, rng.gauss(3 - skill, 1)))
    contacts = 1 if rng.random() < 0.62 + 0.1 * skill else rng.randint(2, 4)
    return {
        "workspace_id": workspace.id,
        "external_id": row["ticket_id"],
        "agent": row["agent"],
        "team": row["team"],
        "solved_by": row["agent"],
        "plan": row["plan"],
        "opened_at": solved - timedelta(hours=resolution),
        "first_response_at": solved - timedelta(hours=resolution - first),
        "solved_at": solved,
        "reopens": 0 if contacts == 1 else rng.choice((0, 0, 1)),
        "contacts": contacts,
        "first_response_seconds": int(first * 3600),
        "resolution_seconds": int(resolution * 3600),
        "one_touch": contacts == 1,
        "context": {},
    }
