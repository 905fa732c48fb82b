"""Email invites: creating them (throttled), the signed links they carry, and unsubscribing."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from feedback import signing
from feedback.accounts.models import Workspace
from feedback.database import in_workspace, owned_by, utcnow
from feedback.email.models import EmailInvite, Unsubscribe
from feedback.errors import Invalid, NotFound, object_of
from feedback.extensions import db, upsert, writing
from feedback.mail import clean_email
from feedback.periods import FIRST_DAY, LAST_DAY
from feedback.responses.respondents import clean_traits, last_contacts
from feedback.signing import LinkTampered
from feedback.surveys.models import Survey
from feedback.surveys.service import live_survey
from feedback.surveys.targeting import cooldown_reason

log = logging.getLogger(__name__)

MAX_INVITES = 1000
_SCORE_SALT = "feedback.invite.score"
_UNSUBSCRIBE_SALT = "feedback.invite.unsubscribe"
# An invite still waiting, or already out: a second one to the same address is not sent.
_OPEN = ("scheduled", "sending")


# -- signed links -------------------------------------------------------------------------


def _score_signer() -> URLSafeTimedSerializer:
    return signing.timed_serializer(_SCORE_SALT)


def score_token(invite_id: int, score: int | None) -> str:
    """The token of a score link (or, with no score, of the plain "open the survey" link)."""
    return _score_signer().dumps([invite_id, score])


def read_score_token(token: str) -> tuple[int, int | None]:
    """The invite id and score a link carries; LinkExpired or LinkTampered otherwise."""
    value = signing.read_link(_SCORE_SALT, token, _score_shape)
    score = value[1] if isinstance(value[1], int) and not isinstance(value[1], bool) else None
    return value[0], score


def _score_shape(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)


def _unsubscribe_signer() -> URLSafeSerializer:
    # No expiry: an unsubscribe link must work however old the mail is.
    return signing.serializer(_UNSUBSCRIBE_SALT)


def unsubscribe_token(invite: EmailInvite) -> str:
    return _unsubscribe_signer().dumps([invite.workspace_id, invite.id])


def invite_for_unsubscribe(token: str) -> EmailInvite:
    try:
        workspace_id, invite_id = _unsubscribe_signer().loads(token)
    except (BadSignature, ValueError, TypeError) as exc:
        raise LinkTampered("This unsubscribe link is not one we sent.") from exc
    invite = db.session.scalar(
        in_workspace(EmailInvite, workspace_id).where(EmailInvite.id == invite_id)
    )
    if invite is None:
        raise NotFound("This invite no longer exists.")
    return invite


def invite_for_link(survey: Survey, invite_id: int) -> EmailInvite:
    """The invite a verified link names, which must be for this survey."""
    invite = db.session.scalar(
        in_workspace(EmailInvite, survey.workspace_id).where(
            EmailInvite.id == invite_id, EmailInvite.survey_id == survey.id
        )
    )
    if invite is None:
        raise LinkTampered("This link does not belong to this survey.")
    return invite


def response_fields(invite: EmailInvite) -> dict[str, Any]:
    """Who answers an invite, and the context their response carries (agent, team, ...)."""
    return {
        "respondent": {"id": invite.external_id, "email": invite.email},
        "context": invite.context or {},
    }


def mark_answered(invite: EmailInvite) -> None:
    """Note the invite answered: no reminder follows."""
    if invite.answered_at is not None:
        return
    with writing():
        db.session.execute(
            update(EmailInvite)
            .where(owned_by(EmailInvite, invite.workspace_id), EmailInvite.id == invite.id)
            .values(answered_at=utcnow(), status="answered")
        )
        db.session.commit()


# -- unsubscribing --------------------------------------------------------------------------


def is_unsubscribed(workspace_id: int, email: str) -> bool:
    return (
        db.session.scalar(
            in_workspace(Unsubscribe, workspace_id, Unsubscribe.id).where(
                Unsubscribe.email == email.lower()
            )
        )
        is not None
    )


def unsubscribe(workspace_id: int, email: str, source: str = "link") -> None:
    """Stop every survey mail of this workspace to this address, the waiting ones included."""
    email = email.lower()
    with writing():
        db.session.execute(
            upsert(Unsubscribe.__table__)
            .values(workspace_id=workspace_id, email=email, source=source, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["workspace_id", "email"])
        )
        db.session.execute(
            update(EmailInvite)
            .where(
                owned_by(EmailInvite, workspace_id),
                EmailInvite.email == email,
                EmailInvite.status == "scheduled",
            )
            .values(status="suppressed", suppressed_reason="the address unsubscribed")
        )
        db.session.commit()
    log.info("workspace %s: %s unsubscribed", workspace_id, email)


def withdraw_waiting(workspace_id: int, email: str, reason: str) -> int:
    """Hold back every invite to this address not yet sent, in the caller's transaction."""
    withdrawn = db.session.execute(
        update(EmailInvite)
        .where(
            owned_by(EmailInvite, workspace_id),
            EmailInvite.email == email.lower(),
            EmailInvite.status == "scheduled",
        )
        .values(status="suppressed", suppressed_reason=reason)
    )
    return withdrawn.rowcount or 0


# -- creating invites -----------------------------------------------------------------------


@dataclass
class InviteInput:
    email: str
    external_id: str | None = None
    name: str | None = None
    context: dict[str, str] = field(default_factory=dict)
    scheduled_at: datetime | None = None


def parse_time(value: Any, field_name: str) -> datetime | None:
    """An ISO 8601 time as naive UTC; a time without an offset is read as UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid("Must be an ISO 8601 time such as 2026-01-31T09:00:00Z.", field_name)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid("Must be an ISO 8601 time such as 2026-01-31T09:00:00Z.", field_name) from exc
    # Checked before the offset is applied: on the calendar's first or last day an offset
    # leaves the years `datetime` knows.
    if not FIRST_DAY <= parsed.date() <= LAST_DAY:
        raise Invalid(f"Must be a time from {FIRST_DAY} to {LAST_DAY}.", field_name)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _one_line(value: Any, field_name: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid(f"Must be a string of at most {limit} characters.", field_name)
    # Names end up in mail headers and greetings, where a line break has no business.
    return " ".join(value.split()) or None


def parse_invite(raw: Any, field_name: str) -> InviteInput:
    raw = object_of(raw, ("email", "id", "name", "context", "scheduled_at"), field_name)
    email = clean_email(raw.get("email"), f"{field_name}.email")
    max_value = int(current_app.config["FEEDBACK_MAX_CONTEXT_VALUE"])
    context = clean_traits(raw.get("context"), f"{field_name}.context", max_value)
    return InviteInput(
        email=email,
        external_id=_one_line(raw.get("id"), f"{field_name}.id", 200),
        name=_one_line(raw.get("name"), f"{field_name}.name", 200),
        context=context,
        scheduled_at=parse_time(raw.get("scheduled_at"), f"{field_name}.scheduled_at"),
    )


def parse_request(payload: Any) -> tuple[str, datetime | None, list[InviteInput]]:
    """The survey id, the default time and the people of a `POST /invites` body."""
    payload = object_of(payload, ("survey", "scheduled_at", "invites"))
    survey_id = payload.get("survey")
    if not isinstance(survey_id, str):
        raise Invalid("Name the survey by its id.", "survey")
    raw = payload.get("invites")
    if not isinstance(raw, list) or not raw:
        raise Invalid("Must be a non-empty list of invites.", "invites")
    if len(raw) > MAX_INVITES:
        raise Invalid(f"At most {MAX_INVITES} invites per request.", "invites")
    people = [parse_invite(item, f"invites[{i}]") for i, item in enumerate(raw)]
    return survey_id, parse_time(payload.get("scheduled_at"), "scheduled_at"), people


def parse_csv(text: str) -> list[InviteInput]:
    """Rows of email, id, name; every other column is context (agent, team, ticket_id, ...)."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "email" not in [f.strip().lower() for f in reader.fieldnames]:
        raise Invalid("The CSV needs a header row with an 'email' column.", "file")
    people = []
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_INVITES:
            raise Invalid(f"At most {MAX_INVITES} rows per upload.", "file")
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        context = {k: v for k, v in row.items() if k not in ("email", "id", "name") and v}
        raw = {"email": row.get("email"), "id": row.get("id"), "name": row.get("name")}
        people.append(parse_invite({**raw, "context": context}, f"row {number}"))
    if not people:
        raise Invalid("The CSV has no rows.", "file")
    return people


def create_invites(
    workspace: Workspace,
    survey_id: str,
    people: list[InviteInput],
    scheduled_at: datetime | None = None,
) -> list[EmailInvite]:
    """One invite per person, to be sent at its time (default now).

    A person who unsubscribed, has an invite waiting, or saw a survey within the workspace's
    recontact wait gets a suppressed invite with the reason: dropped and logged, never queued.
    """
    survey = live_survey(workspace, survey_id, "email")
    now = utcnow()
    emails = {p.email for p in people}
    unsubscribed = set(
        db.session.scalars(
            in_workspace(Unsubscribe, workspace.id, Unsubscribe.email).where(
                Unsubscribe.email.in_(emails)
            )
        )
    )
    waiting = set(
        db.session.scalars(
            in_workspace(EmailInvite, workspace.id, EmailInvite.email).where(
                EmailInvite.email.in_(emails), EmailInvite.status.in_(_OPEN)
            )
        )
    )
    contacts = last_contacts((workspace.id, p.external_id, p.email) for p in people)
    invites = []
    for person in people:
        when = person.scheduled_at or scheduled_at or now
        contact = contacts.last(workspace.id, person.external_id, person.email)
        reason = None
        if person.email in unsubscribed:
            reason = "the address unsubscribed"
        elif person.email in waiting:
            reason = "an invite to this address is already waiting to be sent"
        else:
            reason = cooldown_reason(contact, when, workspace.recontact_days)
        invite = EmailInvite(
            workspace_id=workspace.id,
            survey_id=survey.id,
            email=person.email,
            external_id=person.external_id,
            name=person.name,
            context=person.context,
            scheduled_at=when,
            status="suppressed" if reason else "scheduled",
            suppressed_reason=reason,
        )
        if reason:
            log.info("invite to %s for survey %s dropped: %s", person.email, survey_id, reason)
        else:
            waiting.add(person.email)
        invites.append(invite)
    with writing():
        db.session.add_all(invites)
        db.session.commit()
    return invites


def list_invites(
    workspace: Workspace, status: str | None = None, limit: int = 100
) -> list[EmailInvite]:
    stmt = (
        in_workspace(EmailInvite, workspace.id)
        .options(selectinload(EmailInvite.survey))
        .order_by(EmailInvite.id.desc())
        .limit(limit)
    )
    if status:
        stmt = stmt.where(EmailInvite.status == status)
    return list(db.session.scalars(stmt))
