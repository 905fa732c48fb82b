"""The demo's accounts: what each customer pays a month (by plan, Free pays nothing and carries
no value), an NPS answer some of them gave in the months before the demo's six, and
their quarterly renewals over the last year, each one a churn more often the unhappier the
account's latest score before it, so the money at stake on the scorecard shows something true
both overall and month by month."""

from __future__ import annotations

import random
import uuid
from bisect import bisect_right
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from feedback.accounts.models import Workspace
from feedback.database import owned_by, utcnow
from feedback.demo.content import content
from feedback.extensions import db
from feedback.responses.models import Respondent, RespondentEvent, Response
from feedback.surveys.kinds import band_for
from feedback.surveys.models import Survey

# The year of renewals the scorecard's churn by month shows, and a month before it.
RENEWALS_SINCE = timedelta(days=400)


def add_accounts(workspace: Workspace, rng: random.Random) -> None:
    """Monthly values on the respondents, earlier NPS answers, then their renewals."""
    company = content("workspace")
    people = db.session.execute(
        select(Respondent.id, Respondent.traits, Respondent.created_at)
        .where(owned_by(Respondent, workspace.id))
        .order_by(Respondent.id)
    ).all()
    _values(people, company["mrr"], rng)
    _earlier_answers(workspace, people, company["churn"], rng)
    _renewals(workspace, people, company["churn"], rng)


def _values(people: list[Any], mrr: dict[str, int], rng: random.Random) -> None:
    changed = []
    for person_id, traits, _created in people:
        price = mrr.get((traits or {}).get("plan", ""))
        if price:
            seats = rng.choice((1, 1, 1, 2, 3, 5))
            changed.append({"id": person_id, "traits": {**traits, "mrr": price * seats}})
    if changed:
        db.session.execute(update(Respondent), changed)


def _earlier_answers(
    workspace: Workspace, people: list[Any], churn: dict[str, Any], rng: random.Random
) -> None:
    """One NPS answer, by email, from a share of the accounts in the months before the
    demo's six months of answers, scored as the weights of the data say (a lower NPS then)."""
    survey = db.session.scalars(
        select(Survey).where(owned_by(Survey, workspace.id), Survey.kind == "nps").limit(1)
    ).first()
    if survey is None:
        return
    now, rows = utcnow(), []
    latest, earliest = (now - timedelta(days=days) for days in churn["earlier_days"])
    weights = churn["earlier_scores"]
    for person_id, traits, created in people:
        first = max(created + timedelta(days=7), earliest)
        if first >= latest or rng.random() >= churn["earlier"]:
            continue
        when = first + (latest - first) * rng.random()
        score = rng.choices(range(len(weights)), weights=weights)[0]
        rows.append(
            {
                "workspace_id": workspace.id,
                "survey_id": survey.id,
                "respondent_id": person_id,
                "client_id": uuid.UUID(int=rng.getrandbits(128)).hex,
                "channel": "email",
                "kind": "nps",
                "question": survey.question,
                "score": score,
                "band": band_for("nps", survey.scale, score),
                "answers": {},
                "plan": (traits or {}).get("plan"),
                "context": {"company": (traits or {}).get("company")},
                "nlp_status": "none",
                "submitted_at": when,
                "updated_at": when,
            }
        )
    if rows:
        db.session.execute(insert(Response), rows)


def _renewals(
    workspace: Workspace, people: list[Any], churn: dict[str, Any], rng: random.Random
) -> None:
    """Every quarter from its creation, an account that has answered the NPS survey comes up
    for renewal; a share of those are reported, a churn with the chance of the band of its
    latest score before that day, and a churned account renews no more."""
    scores: dict[int, list[tuple[datetime, str]]] = {}
    rows = db.session.execute(
        select(Response.respondent_id, Response.submitted_at, Response.band)
        .where(owned_by(Response, workspace.id), Response.kind == "nps")
        .where(Response.respondent_id.is_not(None))
        .order_by(Response.submitted_at, Response.id)
    ).all()
    for person_id, at, band in rows:
        scores.setdefault(person_id, []).append((at, band))
    now, events = utcnow(), []
    every = timedelta(days=churn["renewal_days"])
    for person_id, _traits, created in people:
        answered = scores.get(person_id)
        if not answered:
            continue
        times = [at for at, _band in answered]
        when = created + every
        while when < now:
            before = bisect_right(times, when)
            if when >= now - RENEWALS_SINCE and before and rng.random() < churn["reported"]:
                band = answered[before - 1][1]
                event = "churned" if rng.random() < churn[band] else "renewed"
                events.append(
                    {
                        "workspace_id": workspace.id,
                        "respondent_id": person_id,
                        "event": event,
                        "at": when,
                    }
                )
                if event == "churned":
                    break
            when += every
    if events:
        db.session.execute(insert(RespondentEvent), events)
