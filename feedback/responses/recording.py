"""Recording displays, dismissals and responses: the write path every channel shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from feedback.accounts.models import Workspace
from feedback.database import in_workspace, owned_by, utcnow
from feedback.errors import Conflict, Invalid, NotFound
from feedback.extensions import db, upsert, writing
from feedback.responses import storing
from feedback.responses.identity import public_respondent
from feedback.responses.models import (
    CHANNELS,
    CONTEXT_COLUMNS,
    Display,
    Response,
    ResponseEffect,
)
from feedback.responses.respondents import (
    RespondentInput,
    clean_traits,
    identify,
    parse_respondent,
    respondent_row,
)
from feedback.surveys.followups import clean_answers, followups_for, open_text
from feedback.surveys.kinds import band_for
from feedback.surveys.models import Survey
from feedback.surveys.service import live_survey

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


def _limit(name: str) -> int:
    return int(current_app.config[name])


def _client_id(value: Any, field: str = "id") -> str:
    if not isinstance(value, str) or not _CLIENT_ID.fullmatch(value):
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


def _split_context(context: dict[str, str], stored: dict[str, Any]) -> dict[str, Any]:
    """Column values for the known context fields, the rest merged into the JSON."""
    extra = dict(stored)
    values: dict[str, Any] = {}
    for key, value in context.items():
        if key in CONTEXT_COLUMNS:
            values[key] = value
        else:
            extra[key] = value
    values["context"] = extra
    return values


@dataclass
class Recorded:
    id: int
    client_id: str
    score: int
    answers: dict[str, Any]
    created: bool


_TABLE = Response.__table__
_INSERT_COLUMNS = (
    "workspace_id",
    "survey_id",
    "client_id",
    "channel",
    "kind",
    "question",
    "submitted_at",
    "score",
    "band",
    "answers",
    "updated_at",
    "comment",
    "nlp_status",
    "respondent_id",
    "display_id",
    "context",
    "identity",
    "claimed_email",
    *CONTEXT_COLUMNS,
)
_STATEMENTS: dict[str, Any] = {}


def _statements() -> dict[str, Any]:
    """The hot path's statements, built once per dialect: building costs more than running."""
    dialect = db.engine.dialect.name
    if dialect not in _STATEMENTS:
        c = _TABLE.c
        params = {name: bindparam(name, type_=c[name].type) for name in _INSERT_COLUMNS}
        _STATEMENTS[dialect] = {
            "existing": select(c.id, c.survey_id, c.score, c.answers, c.comment, c.context).where(
                owned_by(c, bindparam("ws")), c.client_id == bindparam("cid")
            ),
            "insert": upsert(_TABLE)
            .values(params)
            .on_conflict_do_nothing(index_elements=["workspace_id", "client_id"])
            .returning(c.id),
            "effect": insert(ResponseEffect.__table__),
        }
    return _STATEMENTS[dialect]


@dataclass
class _Input:
    """A response call, checked except for its answers (which depend on what is stored)."""

    client_id: str
    channel: str
    survey: Survey
    score: int | None
    answers: dict[str, Any]
    context: dict[str, str]
    person: RespondentInput | None
    display_id: int | None


def _person(
    workspace: Workspace, payload: dict[str, Any], verified: bool
) -> RespondentInput | None:
    """Who the call names: as given when a verified source made the payload, else checked."""
    raw, anonymous_id = payload.get("respondent"), payload.get("anonymous_id")
    max_value = _limit("FEEDBACK_MAX_CONTEXT_VALUE")
    if not verified:
        return public_respondent(workspace, raw, max_value, anonymous_id)
    person = parse_respondent(raw, max_value, anonymous_id)
    return replace(person, verified=True) if person is not None else None


def _parse(
    workspace: Workspace, client_id: str, payload: Any, channel: str, verified: bool
) -> _Input:
    client_id = _client_id(client_id)
    if not isinstance(payload, dict):
        raise Invalid("The response must be a JSON object.")
    channel = payload.get("channel", channel)
    if channel not in CHANNELS:
        raise Invalid(f"Must be one of: {', '.join(CHANNELS)}.", "channel")
    survey_id = payload.get("survey")
    if not isinstance(survey_id, str):
        raise Invalid("Name the survey by its id.", "survey")
    survey = live_survey(workspace, survey_id, channel)
    score = _score(survey, payload["score"]) if "score" in payload else None
    context = _context(payload.get("context"))
    if "page_url" in payload:
        context.setdefault("page_url", _context({"page_url": payload["page_url"]})["page_url"])
    person = _person(workspace, payload, verified)
    if person is not None and person.traits:
        # Traits (plan, company, ...) travel with the response so metrics can group by them.
        context = {**person.traits, **context}
        if len(context) > _limit("FEEDBACK_MAX_CONTEXT_KEYS"):
            raise Invalid("Too many context fields and traits together.", "context")
    return _Input(
        client_id=client_id,
        channel=channel,
        survey=survey,
        score=score,
        answers=_answers(payload.get("answers")),
        context=context,
        person=person,
        display_id=_display_id(workspace, payload.get("display")),
    )


def record_response(
    workspace: Workspace,
    client_id: str,
    payload: Any,
    channel: str = "widget",
    verified: bool = False,
) -> Recorded:
    """Store a score at once, or add follow-up answers to the same response.

    The client chooses the id, so a retry updates the response it already made. Nothing is
    stored when any part of the payload is refused. `verified` when the payload's respondent
    comes from a verified source (an email invite); a public call's is checked for its hash.
    """
    given = _parse(workspace, client_id, payload, channel, verified)
    if given.score is not None:
        # Most calls create a response: try the insert first and look for a stored one only
        # when it is there (a retry, or follow-up answers arriving with the score again).
        try:
            cleaned = clean_answers(
                given.survey.definition,
                given.score,
                given.answers,
                _limit("FEEDBACK_MAX_TEXT_LENGTH"),
            )
        except Invalid:
            cleaned = None  # may still be valid next to the answers already stored
        if cleaned is not None:
            recorded = _store_new(workspace, given, given.score, cleaned)
            if recorded is not None:
                return recorded
    existing = db.session.execute(
        _statements()["existing"], {"ws": workspace.id, "cid": given.client_id}
    ).first()
    if existing is not None and existing.survey_id != given.survey.id:
        raise Conflict("This response id belongs to another survey.", "id")
    if given.score is not None:
        score = given.score
    elif existing is not None:
        score = existing.score
    else:
        raise Invalid("The first call for a response must carry its score.", "score")
    definition = given.survey.definition
    answers = given.answers
    if existing is not None:
        # Earlier answers that no longer apply (the score changed) are dropped, not refused.
        previous = existing.answers or {}
        still_shown = {f["id"] for f in followups_for(definition, score, {**previous, **answers})}
        answers = {**{k: v for k, v in previous.items() if k in still_shown}, **answers}
    cleaned = clean_answers(definition, score, answers, _limit("FEEDBACK_MAX_TEXT_LENGTH"))
    recorded = _store(workspace, given, existing, score, cleaned)
    if recorded is None:
        # The same id arrived twice at once; the twin won, so this call becomes an update.
        return record_response(workspace, client_id, payload, channel, verified)
    return recorded


def _values(given: _Input, existing: Any, score: int, cleaned: dict[str, Any]) -> dict[str, Any]:
    """The response's columns this call writes (all of them for a new one)."""
    survey = given.survey
    comment = open_text(survey.definition, cleaned)
    values: dict[str, Any] = {
        "score": score,
        "band": band_for(survey.kind, survey.scale, score),
        "answers": cleaned,
        "updated_at": utcnow(),
        **_split_context(given.context, existing.context if existing is not None else {}),
    }
    if existing is None or comment != existing.comment:
        values["comment"] = comment
        values["nlp_status"] = "pending" if comment else "none"
        if existing is not None:
            # A worker analysing the old words loses its claim, so it cannot store them.
            values.update(nlp_claim=None, nlp_attempts=0, nlp_retry_at=None)
    if given.display_id is not None:
        values["display_id"] = given.display_id
    person = given.person
    if person is not None:
        # A claim stays on this response: it never becomes the respondent's address.
        values["identity"] = "verified" if person.verified else "claimed"
        values["claimed_email"] = None if person.verified else person.email
    return values


def _new_row(workspace: Workspace, given: _Input, values: dict[str, Any]) -> dict[str, Any]:
    row = dict.fromkeys(_INSERT_COLUMNS)
    row.update(
        workspace_id=workspace.id,
        survey_id=given.survey.id,
        client_id=given.client_id,
        channel=given.channel,
        kind=given.survey.kind,
        question=given.survey.question,
        submitted_at=values["updated_at"],
        **values,
    )
    return row


def _store_new(
    workspace: Workspace, given: _Input, score: int, cleaned: dict[str, Any]
) -> Recorded | None:
    """Store a response not seen before in one statement or transaction of its own
    (feedback.responses.storing); None when it turns out to be stored already."""
    person = given.person
    if person is not None and person.external_id is None and person.verified:
        return _store(workspace, given, None, score, cleaned)  # found by address: rare
    values = _values(given, None, score, cleaned)
    who = None
    shape = None
    if person is not None and person.external_id is not None:
        who, shape = respondent_row(workspace, person, values["updated_at"])
    response_id = storing.insert_new(_new_row(workspace, given, values), who, shape)
    if response_id is None:
        return None
    return Recorded(response_id, given.client_id, score, cleaned, True)


def _store(
    workspace: Workspace, given: _Input, existing: Any, score: int, cleaned: dict[str, Any]
) -> Recorded | None:
    """Write the response in one short transaction; None when an insert found it stored."""
    values = _values(given, existing, score, cleaned)
    with writing():
        respondent_id = identify(workspace, given.person)
        if respondent_id is not None:
            values["respondent_id"] = respondent_id
        if existing is None:
            response_id = db.session.execute(
                _statements()["insert"], _new_row(workspace, given, values)
            ).scalar()
            if response_id is None:
                db.session.rollback()
                return None
        else:
            db.session.execute(update(_TABLE).where(_TABLE.c.id == existing.id).values(**values))
            response_id = existing.id
        # Its case and webhook events follow from this row, applied by the job runner
        # (feedback.responses.effects): the answer does not wait for them.
        db.session.execute(
            _statements()["effect"],
            {
                "workspace_id": workspace.id,
                "response_id": response_id,
                "score": score,
                "previous_score": None if existing is None else existing.score,
                "stored_at": values["updated_at"],
            },
        )
        db.session.commit()
    return Recorded(response_id, given.client_id, score, cleaned, existing is None)


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
    if channel not in CHANNELS:
        raise Invalid(f"Must be one of: {', '.join(CHANNELS)}.", "channel")
    survey = live_survey(workspace, survey_id, channel)
    person = _person(workspace, payload, verified=False)
    existing = db.session.scalar(
        in_workspace(Display, workspace.id).where(Display.client_id == client_id)
    )
    if existing is not None:
        return existing, False
    page_url = _context({"page_url": payload.get("page_url")}).get("page_url")
    with writing():
        display = Display(
            workspace_id=workspace.id,
            survey_id=survey.id,
            client_id=client_id,
            channel=channel,
            page_url=page_url,
            respondent_id=identify(workspace, person, "shown"),
        )
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
        with writing():
            display.dismissed_at = utcnow()
            db.session.commit()
    return display
