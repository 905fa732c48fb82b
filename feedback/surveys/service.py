"""Creating, changing and finding surveys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from feedback.accounts.models import Workspace
from feedback.database import in_workspace, owned_by, use_case
from feedback.errors import Conflict, NotFound
from feedback.extensions import db
from feedback.lookups import cached, forget
from feedback.responses.models import Response
from feedback.surveys.definition import validate_survey
from feedback.surveys.models import Survey


@use_case
def create_survey(workspace: Workspace, payload: Any) -> Survey:
    """A survey from a definition; missing parts take the kind's defaults."""
    fields = validate_survey(payload)
    survey = Survey(workspace_id=workspace.id, **fields)
    db.session.add(survey)
    db.session.flush()
    forget("widget_surveys", workspace.id)
    return survey


@use_case
def update_survey(survey: Survey, payload: Any) -> Survey:
    current = {
        "kind": survey.kind,
        "name": survey.name,
        "question": survey.question,
        "scale": survey.scale,
        "followups": survey.followups,
        "channels": survey.channels,
        "targeting": survey.targeting,
        "branding": survey.branding,
        "loop": survey.loop,
        "status": survey.status,
    }
    for name, value in validate_survey(payload, current).items():
        setattr(survey, name, value)
    db.session.flush()
    forget("survey", survey.workspace_id, survey.public_id)
    forget("widget_surveys", survey.workspace_id)
    return survey


def get_survey(workspace: Workspace, public_id: str) -> Survey:
    survey = db.session.scalar(
        in_workspace(Survey, workspace.id).where(Survey.public_id == public_id)
    )
    if survey is None:
        raise NotFound(f"No survey {public_id!r} in this workspace.", "survey")
    return survey


def list_surveys(workspace: Workspace) -> list[Survey]:
    return list(db.session.scalars(in_workspace(Survey, workspace.id).order_by(Survey.id)))


_SURVEY = Survey.__table__
_LIVE = select(_SURVEY).where(
    owned_by(_SURVEY.c, bindparam("ws")), _SURVEY.c.public_id == bindparam("pid")
)


def live_survey(workspace: Workspace, public_id: str, channel: str | None = None) -> Survey:
    """A survey that may take answers now (on this channel), else a clear refusal.

    Read as a plain row into a detached Survey: the public write path only reads it, and
    skipping the unit of work makes every response cheaper to store.
    """

    def load() -> Survey | None:
        row = db.session.execute(_LIVE, {"ws": workspace.id, "pid": public_id}).mappings().first()
        return Survey(**row) if row is not None else None

    survey = cached(("survey", workspace.id, public_id), load)
    if survey is None:
        raise NotFound(f"No survey {public_id!r} in this workspace.", "survey")
    if survey.status != "active":
        raise Conflict(
            f"The survey is {survey.status} and takes no answers.", "survey", "survey_inactive"
        )
    if channel in ("widget", "email", "link") and channel not in survey.channels:
        raise Conflict(
            f"The survey is not offered on the {channel} channel.", "channel", "channel_closed"
        )
    return survey


@use_case
def delete_survey(survey: Survey) -> None:
    """Archive a survey that has responses (they stay counted); delete one that has none."""
    has_responses = db.session.scalar(
        in_workspace(Response, survey.workspace_id, Response.id)
        .where(Response.survey_id == survey.id)
        .limit(1)
    )
    if has_responses:
        survey.status = "archived"
    else:
        db.session.delete(survey)
    db.session.flush()
    forget("survey", survey.workspace_id, survey.public_id)
    forget("widget_surveys", survey.workspace_id)
