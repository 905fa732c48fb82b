"""Answering the widget's question "should this person see a survey now?"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from feedback.accounts.models import Workspace
from feedback.database import owned_by, utcnow
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.lookups import cached
from feedback.responses.identity import public_respondent
from feedback.responses.models import Display, Respondent, Response
from feedback.responses.respondents import RespondentInput
from feedback.surveys.models import Survey
from feedback.surveys.service import live_survey
from feedback.surveys.targeting import Decision, History, Visit, decide

_EVENT = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
MAX_URL = 2000


def _widget_surveys(workspace: Workspace) -> list[dict[str, Any]]:
    """The workspace's active widget surveys, oldest first (cached for a few seconds)."""

    def load() -> list[dict[str, Any]]:
        rows = db.session.scalars(
            select(Survey)
            .where(owned_by(Survey, workspace.id), Survey.status == "active")
            .order_by(Survey.id)
        )
        return [
            {
                "pk": s.id,
                "id": s.public_id,
                "status": s.status,
                "channels": s.channels,
                "targeting": s.targeting,
                "config": s.public_config(),
            }
            for s in rows
            if "widget" in s.channels
        ]

    return cached(("widget_surveys", workspace.id), load)


def _history(workspace: Workspace, respondent_id: int) -> dict[int, dict[str, datetime | None]]:
    """When this respondent was last shown, dismissed and answered each survey: read through the
    respondent's own indexes, a few rows, however many the workspace holds."""
    per_survey: dict[int, dict[str, datetime | None]] = {}
    shown = db.session.execute(
        select(Display.survey_id, func.max(Display.shown_at), func.max(Display.dismissed_at))
        .where(owned_by(Display, workspace.id, seek=False), Display.respondent_id == respondent_id)
        .group_by(Display.survey_id)
    )
    for survey_id, last_shown, last_dismissed in shown:
        per_survey[survey_id] = {"shown": last_shown, "dismissed": last_dismissed}
    answered = db.session.execute(
        select(Response.survey_id, func.max(Response.submitted_at))
        .where(
            owned_by(Response, workspace.id, seek=False), Response.respondent_id == respondent_id
        )
        .group_by(Response.survey_id)
    )
    for survey_id, last_answer in answered:
        per_survey.setdefault(survey_id, {})["answered"] = last_answer
    return per_survey


def _answered_today(workspace: Workspace, survey_pk: int, now: datetime) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Response)
        .where(
            owned_by(Response, workspace.id),
            Response.survey_id == survey_pk,
            Response.submitted_at >= now - timedelta(days=1),
        )
    )


def _text(payload: dict[str, Any], name: str, limit: int) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid(f"Must be a string of at most {limit} characters.", name)
    return value


def check(workspace: Workspace, payload: Any, max_value: int = 500) -> dict[str, Any]:
    """The first survey this visit may show, or every reason why none may."""
    if not isinstance(payload, dict):
        raise Invalid("Send an object with respondent, url and event.")
    person = public_respondent(
        workspace, payload.get("respondent"), max_value, payload.get("anonymous_id")
    )
    url = _text(payload, "url", MAX_URL) or ""
    event = _text(payload, "event", 100)
    if event is not None and not _EVENT.fullmatch(event):
        raise Invalid("An event name is letters, digits, '_', '.', ':' or '-'.", "event")
    requested = _text(payload, "survey", 40)
    if requested is not None:
        # Asked for by name (an inline survey): the host page decided, so only liveness counts.
        survey = live_survey(workspace, requested, "widget")
        return {"show": True, "survey": survey.public_config(), "delay_seconds": 0}
    return _first_eligible(workspace, person, url, event, bool(payload.get("debug")))


def _first_eligible(
    workspace: Workspace, person: RespondentInput | None, url: str, event: str | None, debug: bool
) -> dict[str, Any]:
    key = person.external_id if person else None
    traits = dict(person.traits) if person else {}
    respondent = None
    if key is not None:
        respondent = db.session.execute(
            select(Respondent.id, Respondent.last_shown_at, Respondent.traits).where(
                owned_by(Respondent, workspace.id), Respondent.external_id == key
            )
        ).first()
    if respondent is not None:
        traits = {**(respondent.traits or {}), **traits}
    history = _history(workspace, respondent.id) if respondent is not None else {}
    visit = Visit(url=url, event=event, traits=traits, person_key=key)
    now = utcnow()
    reasons = []
    for survey in _widget_surveys(workspace):
        seen = history.get(survey["pk"], {})
        past = History(
            last_shown_any=respondent.last_shown_at if respondent is not None else None,
            shown=seen.get("shown"),
            dismissed=seen.get("dismissed"),
            answered=seen.get("answered"),
        )
        decision: Decision = decide(survey, visit, past, now, workspace.recontact_days)
        if decision.show and survey["targeting"].get("daily_cap") is not None:
            decision = decide(
                survey,
                visit,
                past,
                now,
                workspace.recontact_days,
                _answered_today(workspace, survey["pk"], now),
            )
        if decision.show:
            delay = survey["targeting"].get("delay_seconds", 0)
            return {"show": True, "survey": survey["config"], "delay_seconds": delay}
        reasons.append({"survey": survey["id"], "reason": decision.reason})
    if not reasons:
        reasons.append({"survey": None, "reason": "no active survey is offered in the widget"})
    return {"show": False, "reasons": reasons if debug else reasons[:1]}
