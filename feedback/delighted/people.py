"""Delighted's people calls: add or update a person and schedule their survey mail; erase one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app

from feedback.accounts.models import Workspace
from feedback.database import in_workspace, use_case, utcnow
from feedback.delighted import params
from feedback.email import erasure, invites
from feedback.email.models import EmailInvite
from feedback.errors import Invalid, NotFound, ascii_whole, object_of, whole_number
from feedback.extensions import db
from feedback.mail import clean_email
from feedback.responses import respondents
from feedback.responses.models import Respondent
from feedback.surveys.models import Survey

ALLOWED = ("email", "name", "properties", "delay", "send", "channel", "trend")
UNSUPPORTED = {
    "phone_number": "surveys go by email only; send an email address.",
    "email_update": "erase the person and add them at the new address.",
    "phone_number_update": "surveys go by email only.",
    "last_sent_at": "the last contact is what this product sent or was answered.",
}
# A year: a survey planned further ahead is better planned later.
MAX_DELAY = 366 * 24 * 3600


@dataclass(frozen=True)
class PersonInput:
    email: str
    name: str | None
    properties: dict[str, str]
    delay: int
    send: bool
    trend: str | None = None


def parse_person(body: Any) -> PersonInput:
    params.known(body if isinstance(body, dict) else {}, ALLOWED, UNSUPPORTED)
    body = object_of(body, ALLOWED)
    channel = body.get("channel", "email")
    if channel != "email":
        raise params.unsupported("channel", "surveys go by email only; leave it out.")
    max_value = int(current_app.config["FEEDBACK_MAX_CONTEXT_VALUE"])
    return PersonInput(
        email=clean_email(body.get("email"), "email"),
        name=params.one_line(body.get("name"), "name"),
        properties=respondents.clean_traits(body.get("properties"), "properties", max_value),
        delay=whole_number(body.get("delay", 0), "delay", 0, MAX_DELAY),
        send=params.flag(body.get("send", True), "send"),
        trend=params.one_line(body.get("trend"), "trend"),
    )


def nps_survey(workspace: Workspace, channel: str | None, trend: str | None = None) -> Survey:
    """The survey Delighted's calls stand for: the one its `trend` names (Delighted's id of one
    of an account's surveys; here a survey's public id), else the workspace's first active NPS
    survey (on `channel`, when one is named)."""
    if trend is not None:
        survey = trend_survey(workspace, trend)
        if survey.status != "active" or (channel and channel not in (survey.channels or [])):
            offered = f" offered by {channel}" if channel else ""
            raise Invalid(f"The survey {trend} is not active{offered}.", "trend")
        return survey
    surveys = db.session.scalars(
        in_workspace(Survey, workspace.id)
        .where(Survey.kind == "nps", Survey.status == "active")
        .order_by(Survey.id)
    )
    for survey in surveys:
        if channel is None or channel in (survey.channels or []):
            return survey
    where = f" offered by {channel}" if channel else ""
    raise Invalid(f"This workspace has no active NPS survey{where}; create one first.", "survey")


def trend_survey(workspace: Workspace, trend: Any) -> Survey:
    """The survey a `trend` names: Delighted's trends are an account's surveys, and here a
    trend is a survey's public id (Surveys, or GET /api/v1/surveys)."""
    if not isinstance(trend, str) or not trend or len(trend) > 64:
        raise Invalid("A trend is the public id of one of this workspace's surveys.", "trend")
    survey = db.session.scalar(in_workspace(Survey, workspace.id).where(Survey.public_id == trend))
    if survey is None:
        raise NotFound(f"No survey {trend} in this workspace.", "trend")
    return survey


@use_case
def _keep_person(workspace: Workspace, given: PersonInput) -> tuple[Respondent, bool]:
    """The person at this address, created or with their name and properties updated.

    Neither last-contact time moves: adding a person is not contacting them, and the
    recontact wait must judge the invite that follows on what they really saw.
    """
    found = respondents.respondents_by_email(workspace, given.email)
    traits = dict(given.properties)
    if given.name:
        traits["name"] = given.name
    if found:
        respondent = found[0]
        respondent.traits = {**(respondent.traits or {}), **traits}
    else:
        respondent = Respondent(workspace_id=workspace.id, email=given.email, traits=traits)
        db.session.add(respondent)
    db.session.flush()
    return respondent, not found


def create_person(workspace: Workspace, body: Any) -> tuple[Respondent, EmailInvite | None, bool]:
    """Add or update a person; unless `send` is false, schedule the NPS survey mail after
    `delay` seconds (held back, as any invite is, for an unsubscribed or recent contact)."""
    given = parse_person(body)
    survey = nps_survey(workspace, "email", given.trend) if given.send else None
    respondent, created = _keep_person(workspace, given)
    if survey is None:
        return respondent, None, created
    person = invites.InviteInput(
        email=given.email,
        name=given.name,
        context=given.properties,
        scheduled_at=utcnow() + timedelta(seconds=given.delay),
    )
    made = invites.create_invites(workspace, survey.public_id, [person])
    return respondent, made[0], created


def person_by_identifier(workspace: Workspace, identifier: str) -> list[Respondent]:
    """Who `/people/{identifier}` names: `email:ADDRESS`, or the person's id."""
    kind, colon, value = identifier.partition(":")
    if colon and kind == "email":
        found = respondents.respondents_by_email(workspace, clean_email(value, "email"))
    elif colon and kind == "phone_number":
        raise params.unsupported("phone_number", "people are known by email or id here.")
    elif colon:
        raise Invalid("Name the person as email:ADDRESS or by their id.", "person")
    else:
        number = ascii_whole(identifier)
        if number is None or number > 2**31 - 1:
            raise Invalid("Name the person as email:ADDRESS or by their id.", "person")
        one = respondents.respondent_by_id(workspace, number)
        found = [one] if one is not None else []
    if not found:
        raise NotFound("No person with this id or email in this workspace.", "person")
    return found


@use_case
def erase_person(workspace: Workspace, identifier: str) -> int:
    """Erase everyone the identifier names (one address may be on record twice: once with the
    product's id of them and once by address alone)."""
    found = person_by_identifier(workspace, identifier)
    for respondent in found:
        # Their waiting survey mail is held back with the rest of what the mail kept of them.
        erasure.erase_person(workspace, respondent)
    return len(found)


def people_by_email(workspace: Workspace, emails: set[str]) -> dict[str, Respondent]:
    """The first person on record at each address, in one query."""
    if not emails:
        return {}
    rows = db.session.scalars(
        in_workspace(Respondent, workspace.id)
        .where(Respondent.email.in_(emails))
        .order_by(Respondent.id.desc())
    )
    return {row.email: row for row in rows if row.email}
