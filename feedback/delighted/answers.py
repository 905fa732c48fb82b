"""Delighted's survey-response calls: record one, list them, read one, change one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy.orm import selectinload

from feedback.accounts.models import Workspace
from feedback.database import in_workspace
from feedback.delighted import params, shapes
from feedback.delighted.people import nps_survey, trend_survey
from feedback.errors import Invalid, NotFound, row_id
from feedback.extensions import db
from feedback.responses import recording, respondents
from feedback.responses.models import Response
from feedback.surveys.followups import followups_for
from feedback.surveys.models import Survey

CREATE = ("person", "score", "comment", "person_properties")
CREATE_UNSUPPORTED = {
    "created_at": "a response is recorded when it arrives; import a history with "
    "`flask feedback import` instead.",
    "additional_answers": "answers beyond the score and comment are not taken by this API.",
}
LIST = (
    "since",
    "until",
    "updated_since",
    "updated_until",
    "page",
    "per_page",
    "expand",
    "order",
    "person_id",
    "person_email",
    "trend",
)
LIST_UNSUPPORTED = {
    "page_info": "pages are numbered here: use page and per_page.",
}
ORDERS = ("asc", "desc", "asc:updated_at", "desc:updated_at")
# What PUT may change, and what it may carry unchanged (the client sends the whole object).
UPDATE = ("score", "comment", "person_properties")
READ_ONLY = ("id", "person", "survey_type", "created_at")
# Given by this API and changed by every write: a client's copy may be older; not compared.
ECHOED = {"permalink": str, "updated_at": int}
KEPT_ELSEWHERE = ("notes", "tags", "additional_answers")


def _comment_answers(survey: Survey, score: int, comment: Any) -> dict[str, str]:
    """The comment as the answer to the survey's open question for this score."""
    if comment is None or comment == "":
        return {}
    if not isinstance(comment, str):
        raise Invalid("Must be a string.", "comment")
    low, high = survey.scale["min"], survey.scale["max"]
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        return {}  # the score itself is refused when the response is recorded
    for followup in followups_for(survey.definition, score, {}):
        if followup["type"] == "text":
            return {followup["id"]: comment}
    raise Invalid(
        "The survey asks no open question after this score, so the comment has no place.",
        "comment",
    )


def _properties(value: Any) -> dict[str, str]:
    """Checked here so that a refusal names `person_properties`, the field the caller sent."""
    max_value = int(current_app.config["FEEDBACK_MAX_CONTEXT_VALUE"])
    return respondents.clean_traits(value, "person_properties", max_value)


def _load(workspace: Workspace, response_id: int) -> Response:
    row = db.session.scalar(
        in_workspace(Response, workspace.id)
        .options(selectinload(Response.respondent), selectinload(Response.survey))
        .where(Response.id == response_id)
    )
    if row is None:
        raise NotFound(f"No survey response {response_id} in this workspace.", "id")
    return row


def create_response(workspace: Workspace, body: Any) -> Response:
    """Record a score (and comment) for a person already added, on the workspace's NPS survey."""
    params.known(body if isinstance(body, dict) else {}, CREATE, CREATE_UNSUPPORTED)
    if not isinstance(body, dict):
        raise Invalid(f"Send an object with any of: {', '.join(CREATE)}.")
    if "person" not in body:
        raise Invalid("Name the person by their id (from POST /people).", "person")
    if "score" not in body:
        raise Invalid("A response needs its score.", "score")
    person_id = row_id(body["person"], "person")
    context = _properties(body.get("person_properties"))
    respondent = respondents.respondent_by_id(workspace, person_id)
    if respondent is None:
        raise Invalid("No person with this id in this workspace.", "person")
    survey = nps_survey(workspace, None)
    payload = {
        "survey": survey.public_id,
        "score": body["score"],
        "answers": _comment_answers(survey, body["score"], body.get("comment")),
        "respondent": {"id": respondent.external_id, "email": respondent.email},
        # The person's properties travel with their response, as those of an email invite do.
        "context": {**shapes.properties(respondent), **context},
    }
    client_id = "delighted." + secrets.token_hex(8)
    recorded = recording.record_response(workspace, client_id, payload, "api", verified=True)
    return _load(workspace, recorded.id)


def get_response(workspace: Workspace, response_id: int) -> Response:
    return _load(workspace, response_id)


def _unchanged(name: str, value: Any, shown: dict[str, Any]) -> None:
    if name == "person" and isinstance(value, dict):
        value = value.get("id")
    if value != shown[name]:
        raise Invalid(f"{name} cannot be changed through this API.", name)


def update_response(
    workspace: Workspace, response_id: int, body: Any, shown: dict[str, Any]
) -> Response:
    """Change a response's score, comment or properties. The client sends the whole object it
    read (`shown` is it as this API gives it): the other fields may come, unchanged."""
    if not isinstance(body, dict):
        raise Invalid(f"Send an object with any of: {', '.join(UPDATE)}.")
    row = _load(workspace, response_id)
    for name, value in body.items():
        if name in READ_ONLY:
            _unchanged(name, value, shown)
        elif name in ECHOED:
            if not isinstance(value, ECHOED[name]) or isinstance(value, bool):
                raise Invalid(f"Must be the {name} this API gave.", name)
        elif name in KEPT_ELSEWHERE:
            if value not in (None, []):
                raise params.unsupported(
                    name, "notes and tags are kept as case notes and theme tags on the dashboard."
                )
        elif name not in UPDATE:
            raise Invalid(f"Unknown parameter; use any of: {', '.join(UPDATE)}.", name)
    score = body.get("score", row.score)
    payload: dict[str, Any] = {
        "survey": row.survey.public_id,
        "score": score,
        "context": _properties(body.get("person_properties")),
    }
    comment = body.get("comment", row.comment)
    if comment in (None, "") and row.comment:
        raise Invalid(
            "A comment cannot be cleared through this API; erase the person to remove their words.",
            "comment",
        )
    if comment != row.comment or score != row.score:
        payload["answers"] = _comment_answers(row.survey, score, comment)
    recording.record_response(workspace, row.client_id, payload, "api", verified=True)
    db.session.expire_all()
    return _load(workspace, response_id)


@dataclass(frozen=True)
class Listing:
    rows: list[Response]
    expand_person: bool
    page: params.Page
    more: bool


def expands_person(args: dict[str, Any]) -> bool:
    """Whether a single response's person comes whole (`expand[]=person`)."""
    params.known(args, ("expand",), {})
    return _expand(args.get("expand"))


def _expand(value: Any) -> bool:
    names = value if isinstance(value, list) else [value] if value is not None else []
    for name in names:
        if name not in ("person", "notes"):
            raise Invalid("Only person can be expanded (notes are always given).", "expand")
    return "person" in names


def list_responses(workspace: Workspace, args: dict[str, Any]) -> Listing:
    params.known(args, LIST, LIST_UNSUPPORTED)
    created = params.window(args)
    updated = params.window(args, "updated_since", "updated_until")
    page = params.page(args)
    order = args.get("order", "asc")
    if order not in ORDERS:
        raise Invalid(f"Must be one of: {', '.join(ORDERS)}.", "order")
    column = Response.updated_at if order.endswith("updated_at") else Response.submitted_at
    ordering = (
        (column, Response.id) if order.startswith("asc") else (column.desc(), Response.id.desc())
    )
    stmt = in_workspace(Response, workspace.id).options(selectinload(Response.respondent))
    for bound, start, end in (
        (Response.submitted_at, created.start, created.end),
        (Response.updated_at, updated.start, updated.end),
    ):
        if start is not None:
            stmt = stmt.where(bound >= start)
        if end is not None:
            stmt = stmt.where(bound < end)
    if args.get("person_id") is not None:
        stmt = stmt.where(Response.respondent_id == row_id(args["person_id"], "person_id"))
    if args.get("person_email") is not None:
        people = respondents.respondents_by_email(workspace, str(args["person_email"]))
        stmt = stmt.where(Response.respondent_id.in_([p.id for p in people]))
    if args.get("trend") is not None:
        stmt = stmt.where(Response.survey_id == trend_survey(workspace, args["trend"]).id)
    rows = list(
        db.session.scalars(stmt.order_by(*ordering).offset(page.offset).limit(page.size + 1))
    )
    return Listing(rows[: page.size], _expand(args.get("expand")), page, len(rows) > page.size)
