"""The demo workspace, seeded once: four surveys, six months of responses, KPIs and cases."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from feedback.accounts import workspaces
from feedback.accounts.models import Workspace
from feedback.database import use_case
from feedback.demo.accounts import add_accounts
from feedback.demo.cases import work_cases
from feedback.demo.content import content
from feedback.demo.members import add_members
from feedback.demo.responses import add_responses
from feedback.demo.scorecard import set_scorecard
from feedback.demo.tickets import add_tickets
from feedback.extensions import db
from feedback.surveys import service as surveys
from feedback.widget.origins import LOOPBACK_ANY_PORT

DEMO_SLUG = "demo"
DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "demo-password"


@dataclass
class DemoResult:
    """What `flask feedback seed-demo` prints: the workspace, a fresh API key, and whether
    the workspace was created by this call."""

    workspace: Workspace
    api_key: str
    created_note: str


@use_case
def seed_demo_workspace(responses: int = 3000, seed: int = 7) -> DemoResult:
    """Create the demo workspace once; later calls only issue a fresh API key. One unit of
    work: the surveys, targets and key it creates commit with it."""
    company = content("workspace")
    workspace = db.session.scalar(select(Workspace).where(Workspace.slug == DEMO_SLUG))
    note = "already there"
    if workspace is None:
        # Under `make run`, a page on any port of this machine may show the widget, so the
        # printed snippet works wherever it is pasted first. Production lists none of them.
        development = current_app.config["FEEDBACK_ENV"] == "development"
        workspace = workspaces.create_workspace(
            company["workspace"]["name"],
            DEMO_SLUG,
            company["workspace"]["timezone"],
            list(LOOPBACK_ANY_PORT) if development else [],
        )
        _fill(workspace, company["surveys"], responses, random.Random(seed))
        note = f"created with {responses} responses"
    workspaces.add_user(workspace, DEMO_EMAIL, DEMO_PASSWORD, "owner")
    issued = workspaces.create_api_key(workspace, company["workspace"]["api_key"])
    return DemoResult(workspace, issued.secret, note)


def _fill(
    workspace: Workspace, specs: dict[str, dict[str, Any]], count: int, rng: random.Random
) -> None:
    """The members, the four surveys, their responses and tickets, the scorecard (its KPIs
    owned by members), then the worked cases; all drawn from one random stream, in this
    order; then the accounts' values and renewals."""
    users = add_members(workspace, DEMO_PASSWORD)
    by_kind = {kind: surveys.create_survey(workspace, spec) for kind, spec in specs.items()}
    rows = add_responses(workspace, by_kind, count, rng)
    add_tickets(workspace, rows, rng)
    set_scorecard(workspace, rng, users)
    db.session.flush()
    work_cases(workspace, by_kind, rng, users)
    # A stream of its own, so the data drawn before stays the same as it was without it.
    add_accounts(workspace, random.Random(rng.random()))
