"""Recording displays, dismissals and responses: the write path every channel shares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError

from feedback.errors import Conflict, Invalid, NotFound
from feedback.extensions import db
from feedback.models import (
    CONTEXT_COLUMNS,
    Display,
    Response,
    Survey,
    Workspace,
    in_workspace,
    utcnow,
)
from feedback.services.respondents import clean_traits, identify
from feedback.services.surveys import live_survey
from feedback.surveys import band_for, clean_answers
from feedback.surveys.followups import followups_for, open_text

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
RESPONSE_CHANNELS = ("widget", "email", "link", "api")


def _limit(name: str) -> int:
    return int(current_app.config[name])


def _client_id(value: Any, field: str = "id") -> str:
    if not isinstance(value, str) or not _CLIENT_ID.match(value):
        raise Invalid("Must be 8 to 64 characters of letters, digits, '_', '.', ':' or '-'.", field)
    return value


def _context(raw: Any) -> dict[str, str]:
    context = clean_traits(raw, "context", _limit("FEEDBACK_MAX_CONTEXT_VALUE"))
    if len(context) > _limit("FEEDBACK_MAX_CONTEXT_KEYS"):
        raise Invalid(f"At most {_limit('FEEDBACK_MAX_CONTEXT_KEYS')} context fields.", "context")
    return context


def _score(survey: Survey, value: Any) -> int:
    low, high = survey.scale["min"], survey.scale["max"]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"The score must be a whole number from {low} to {high}.", "score")
    return value


def _answers(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Invalid("Must be an object of follow-up ids to answers.", "answers")
    if len(raw) > _limit("FEEDBACK_MAX_ANSWERS"):
        raise Invalid(f"At most {_limit('FEEDBACK_MAX_ANSWERS')} answers.", "answers")
    return raw


def _apply_context(response: Response, context: dict[str, str]) -> None:
    extra = dict(response.context or {})
    for key, value in context.items():
        if key in CONTEXT_COLUMNS:
            setattr(response, key, value)
        else:
            extra[key] = value
    response.context = extra


@dataclass
class Recorded:
    response: Response
    created: bool


def record_response(
    workspace: Workspace, client_id: str, payload: Any, channel: str = "widget"
) -> Recorded:
    """Store a score at once, or add follow-up answers to the same response.

    The client chooses the id, so a retry updates the response it already made. Nothing is
    stored when any part of the payload is refused.
    """
    client_id = _client_id(client_id)
    if not isinstance(payload, dict):
        raise Invalid("The response must be a JSON object.")
    channel = payload.get("channel", channel)
    if channel not in RESPONSE_CHANNELS:
        raise Invalid(f"Must be one of: {', '.join(RESPONSE_CHANNELS)}.", "channel")
    survey_id = payload.get("survey")
    if not isinstance(survey_id, str):
        raise Invalid("Name the survey by its id.", "survey")
    survey = live_survey(workspace, survey_id, channel)
    answers = _answers(payload.get("answers"))
    context = _context(payload.get("context"))
    if "page_url" in payload:
        context.setdefault("page_url", _context({"page_url": payload["page_url"]})["page_url"])

    existing = db.session.scalar(
        in_workspace(Response, workspace.id).where(Response.client_id == client_id)
    )
    if existing is not None and existing.survey_id != survey.id:
        raise Conflict("This response id belongs to another survey.", "id")
    if "score" in payload:
        score = _score(survey, payload["score"])
    elif existing is not None:
        score = existing.score
    else:
        raise Invalid("The first call for a response must carry its score.", "score")

    definition = survey.definition
    if existing is not None:
        # Earlier answers that no longer apply (the score changed) are dropped, not refused.
        previous = existing.answers or {}
        still_shown = {f["id"] for f in followups_for(definition, score, {**previous, **answers})}
        answers = {**{k: v for k, v in previous.items() if k in still_shown}, **answers}
    cleaned = clean_answers(definition, score, answers, _limit("FEEDBACK_MAX_TEXT_LENGTH"))
    respondent = identify(
        workspace, payload.get("respondent"), _limit("FEEDBACK_MAX_CONTEXT_VALUE")
    )
    display_id = _display_id(workspace, payload.get("display"))

    if existing is None:
        response = Response(
            workspace_id=workspace.id,
            survey_id=survey.id,
            client_id=client_id,
            channel=channel,
            kind=survey.kind,
            question=survey.question,
            context={},
        )
        created = True
    else:
        response, created = existing, False
    response.score = score
    response.band = band_for(survey.kind, survey.scale, score)
    response.answers = cleaned
    comment = open_text(definition, cleaned)
    if comment != response.comment:
        response.comment = comment
        response.nlp_status = "pending" if comment else "none"
    _apply_context(response, context)
    if respondent is not None:
        response.respondent_id = respondent.id
        respondent.last_responded_at = utcnow()
    if display_id is not None:
        response.display_id = display_id
    response.updated_at = utcnow()
    if created:
        try:
            with db.session.begin_nested():
                db.session.add(response)
        except IntegrityError:
            # The same id arrived twice at once; the twin won, so this call becomes an update.
            db.session.rollback()
            return record_response(workspace, client_id, payload, channel)
    db.session.commit()
    return Recorded(response, created)


def _display_id(workspace: Workspace, client_id: Any) -> int | None:
    if client_id is None:
        return None
    client_id = _client_id(client_id, "display")
    return db.session.scalar(
        in_workspace(Display, workspace.id, Display.id).where(Display.client_id == client_id)
    )


def record_display(workspace: Workspace, client_id: str, payload: Any) -> tuple[Display, bool]:
    """Count a survey shown: the denominator of the response rate. Idempotent on its id."""
    client_id = _client_id(client_id)
    if not isinstance(payload, dict):
        raise Invalid("The display must be a JSON object.")
    survey_id = payload.get("survey")
    if not isinstance(survey_id, str):
        raise Invalid("Name the survey by its id.", "survey")
    channel = payload.get("channel", "widget")
    if channel not in RESPONSE_CHANNELS:
        raise Invalid(f"Must be one of: {', '.join(RESPONSE_CHANNELS)}.", "channel")
    survey = live_survey(workspace, survey_id, channel)
    existing = db.session.scalar(
        in_workspace(Display, workspace.id).where(Display.client_id == client_id)
    )
    if existing is not None:
        return existing, False
    page_url = _context({"page_url": payload.get("page_url")}).get("page_url")
    respondent = identify(
        workspace, payload.get("respondent"), _limit("FEEDBACK_MAX_CONTEXT_VALUE")
    )
    display = Display(
        workspace_id=workspace.id,
        survey_id=survey.id,
        client_id=client_id,
        channel=channel,
        page_url=page_url,
        respondent_id=respondent.id if respondent else None,
    )
    if respondent is not None:
        respondent.last_shown_at = utcnow()
    try:
        with db.session.begin_nested():
            db.session.add(display)
    except IntegrityError:
        db.session.rollback()
        return record_display(workspace, client_id, payload)
    db.session.commit()
    return display, True


def record_dismissal(workspace: Workspace, client_id: str) -> Display:
    """Mark a shown survey as dismissed (closed without answering)."""
    client_id = _client_id(client_id)
    display = db.session.scalar(
        in_workspace(Display, workspace.id).where(Display.client_id == client_id)
    )
    if display is None:
        raise NotFound("No display with this id; record the display first.", "id")
    if display.dismissed_at is None:
        display.dismissed_at = utcnow()
        db.session.commit()
    return display
