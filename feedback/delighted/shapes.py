"""This product's rows in Delighted's JSON shapes: people, survey responses, metrics,
unsubscribes and bounces. Ids are strings and times unix seconds, as Delighted gives them."""

from __future__ import annotations

from typing import Any

from flask import url_for

from feedback.delighted.params import unix
from feedback.email.models import EmailInvite
from feedback.responses.models import Respondent, Response


def person_name(respondent: Respondent | None) -> str | None:
    name = (respondent.traits or {}).get("name") if respondent else None
    return name if isinstance(name, str) and name else None


def properties(respondent: Respondent) -> dict[str, Any]:
    """A person's properties: their traits but the name, which Delighted keeps apart."""
    return {k: v for k, v in (respondent.traits or {}).items() if k != "name"}


def person(respondent: Respondent) -> dict[str, Any]:
    return {
        "id": str(respondent.id),
        "email": respondent.email,
        "name": person_name(respondent),
        "phone_number": None,
        "created_at": unix(respondent.created_at),
        "last_sent_at": unix(respondent.last_shown_at),
        "last_responded_at": unix(respondent.last_responded_at),
        "next_survey_scheduled_at": None,
    }


def created_person(respondent: Respondent, invite: EmailInvite | None) -> dict[str, Any]:
    """What `POST /people` answers: the person and when their survey mail goes, if it does."""
    scheduled = invite.scheduled_at if invite and invite.status == "scheduled" else None
    return {
        "id": str(respondent.id),
        "email": respondent.email,
        "name": person_name(respondent),
        "survey_scheduled_at": unix(scheduled),
        "properties": properties(respondent),
    }


def survey_response(row: Response, expand_person: bool) -> dict[str, Any]:
    respondent = row.respondent
    who: Any = str(row.respondent_id) if row.respondent_id else None
    if expand_person and respondent is not None:
        who = person(respondent)
    return {
        "id": str(row.id),
        "person": who,
        "survey_type": row.kind,
        "score": row.score,
        "comment": row.comment,
        "permalink": url_for("responses.response_detail", response_id=row.id, _external=True),
        "created_at": unix(row.submitted_at),
        "updated_at": unix(row.updated_at),
        "person_properties": row.to_dict()["context"],
        # Kept by this product as case notes and theme tags, not on the response: not given.
        "notes": [],
        "tags": [],
        "additional_answers": [],
    }


def metrics(figure: dict[str, Any]) -> dict[str, Any]:
    """Delighted's metrics from the NPS figure (feedback.metrics.formulas): its counts, each
    band's share of the responses and the score as a whole number."""
    n = figure["n"]

    def share(count: int) -> float:
        return round(count / n * 100, 1) if n else 0.0

    return {
        "nps": round(figure["value"]) if figure["value"] is not None else 0,
        "promoter_count": figure["promoters"],
        "promoter_percent": share(figure["promoters"]),
        "passive_count": figure["passives"],
        "passive_percent": share(figure["passives"]),
        "detractor_count": figure["detractors"],
        "detractor_percent": share(figure["detractors"]),
        "response_count": n,
    }


def address_event(
    email: str, respondent: Respondent | None, at_name: str, at: Any
) -> dict[str, Any]:
    """An unsubscribe or a bounce: who (their person id when on record) and when."""
    return {
        "person_id": str(respondent.id) if respondent else None,
        "email": email,
        "name": person_name(respondent),
        at_name: unix(at),
    }
