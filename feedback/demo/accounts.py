"""The demo's accounts: what each customer pays a month (by plan, Free pays nothing and carries
no value), and which churned or renewed after their latest NPS score, more often the unhappier
they were, so the money at stake on the scorecard shows something true."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update

from feedback.accounts.models import Workspace
from feedback.database import owned_by, utcnow
from feedback.demo.content import content
from feedback.extensions import db
from feedback.responses.models import Respondent, RespondentEvent, Response


def add_accounts(workspace: Workspace, rng: random.Random) -> None:
    """Monthly values on the respondents, then a churn or renewal for some of them."""
    company = content("workspace")
    _values(workspace, company["mrr"], rng)
    _outcomes(workspace, company["churn"], rng)


def _values(workspace: Workspace, mrr: dict[str, int], rng: random.Random) -> None:
    people = db.session.execute(
        select(Respondent.id, Respondent.traits).where(owned_by(Respondent, workspace.id))
    ).all()
    changed = []
    for person_id, traits in people:
        price = mrr.get((traits or {}).get("plan", ""))
        if price:
            seats = rng.choice((1, 1, 1, 2, 3, 5))
            changed.append({"id": person_id, "traits": {**traits, "mrr": price * seats}})
    if changed:
        db.session.execute(update(Respondent), changed)


def _outcomes(workspace: Workspace, churn: dict[str, float], rng: random.Random) -> None:
    """For a share of those who answered the NPS survey, what their renewal brought, some weeks
    after their latest score; the rest have not come up for renewal yet."""
    latest: dict[int, tuple[str, Any]] = {}
    rows = db.session.execute(
        select(Response.respondent_id, Response.band, Response.submitted_at)
        .where(owned_by(Response, workspace.id), Response.kind == "nps")
        .where(Response.respondent_id.is_not(None))
        .order_by(Response.submitted_at)
    ).all()
    for person_id, band, at in rows:
        latest[person_id] = (band, at)
    now, events = utcnow(), []
    for person_id, (band, at) in sorted(latest.items()):
        if rng.random() >= churn["reported"]:
            continue
        when = at + timedelta(days=rng.randint(7, 45))
        if when >= now:
            continue
        event = "churned" if rng.random() < churn[band] else "renewed"
        events.append(
            {"workspace_id": workspace.id, "respondent_id": person_id, "event": event, "at": when}
        )
    if events:
        db.session.execute(insert(RespondentEvent), events)
