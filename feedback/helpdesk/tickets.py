"""Helpdesk tickets: stored idempotently on their id, with their figures, and one CSAT invite
per solved ticket, sent FEEDBACK_HELPDESK_DELAY_HOURS after it was solved."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from feedback.accounts.models import Workspace
from feedback.database import in_workspace, owned_by, utcnow
from feedback.email.invites import InviteInput, create_invites, parse_invite, parse_time
from feedback.email.models import EmailInvite
from feedback.errors import MAX_ID, Invalid
from feedback.extensions import db, upsert, writing
from feedback.helpdesk.models import Ticket
from feedback.responses.respondents import clean_traits
from feedback.surveys.service import live_survey

log = logging.getLogger(__name__)
SIGNATURE_PREFIX = "sha256="


def signature_valid(secret: str | None, body: bytes, header: str) -> bool:
    """Whether `header` is `sha256=<hex HMAC-SHA256 of the raw body>` under the secret."""
    if not secret or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix(SIGNATURE_PREFIX).strip().lower())


@dataclass
class TicketInput:
    external_id: str
    requester: InviteInput | None
    agent: str | None = None
    team: str | None = None
    plan: str | None = None
    opened_at: datetime | None = None
    first_response_at: datetime | None = None
    solved_at: datetime | None = None
    reopens: int = 0
    contacts: int | None = None
    survey: str | None = None
    context: dict[str, str] = field(default_factory=dict)
    # The body's keys: an update changes only what it carries (absent is not null).
    sent: frozenset[str] = frozenset()


# TicketInput's fields that a call may leave out, by the key that carries them in the body.
_KEPT = {
    "requester": "requester",
    "agent": "agent",
    "team": "team",
    "plan": "plan",
    "created_at": "opened_at",
    "first_response_at": "first_response_at",
    "solved_at": "solved_at",
    "reopens": "reopens",
    "contacts": "contacts",
    "context": "context",
}


def _text(payload: dict[str, Any], name: str, limit: int = 200) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid(f"Must be a string of at most {limit} characters.", name)
    return " ".join(value.split()) or None


def _count(payload: dict[str, Any], name: str) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100000:
        raise Invalid("Must be a whole number from 0 to 100000.", name)
    return value


def parse_ticket(payload: Any) -> TicketInput:
    """A helpdesk call's body, checked; Invalid names the field at fault."""
    if not isinstance(payload, dict):
        raise Invalid('Send {"id": "...", "requester": {"email": "..."}, ...}.')
    external_id = _text(payload, "id")
    if external_id is None:
        raise Invalid("The ticket's id is required.", "id")
    requester = None
    raw = payload.get("requester")
    if raw is not None:
        if not isinstance(raw, dict):
            raise Invalid("Must be an object with email, id and name.", "requester")
        fields = {k: v for k, v in raw.items() if k in ("email", "id", "name")}
        requester = parse_invite(fields, "requester")
    max_value = int(current_app.config["FEEDBACK_MAX_CONTEXT_VALUE"])
    given = TicketInput(
        external_id=external_id,
        requester=requester,
        agent=_text(payload, "agent"),
        team=_text(payload, "team"),
        plan=_text(payload, "plan"),
        opened_at=parse_time(payload.get("created_at"), "created_at"),
        first_response_at=parse_time(payload.get("first_response_at"), "first_response_at"),
        solved_at=parse_time(payload.get("solved_at"), "solved_at"),
        reopens=_count(payload, "reopens") or 0,
        contacts=_count(payload, "contacts"),
        survey=_text(payload, "survey", 64),
        context=clean_traits(payload.get("context"), "context", max_value),
        sent=frozenset(payload),
    )
    return given


def completed(given: TicketInput, stored: Ticket | None) -> TicketInput:
    """The call's fields over what the ticket already holds, checked together."""
    if stored is not None:
        known = {
            "requester": InviteInput(
                email=stored.requester_email,
                external_id=stored.requester_id,
                name=stored.requester_name,
            )
            if stored.requester_email
            else None,
            "agent": stored.agent,
            "team": stored.team,
            "plan": stored.plan,
            "opened_at": stored.opened_at,
            "first_response_at": stored.first_response_at,
            "solved_at": stored.solved_at,
            "reopens": stored.reopens,
            "contacts": stored.contacts,
            "context": stored.context or {},
        }
        kept = {name: known[name] for key, name in _KEPT.items() if key not in given.sent}
        given = replace(given, **kept)
    for name in ("first_response_at", "solved_at"):
        moment = getattr(given, name)
        if moment is None or given.opened_at is None:
            continue
        if moment < given.opened_at:
            raise Invalid("Must not be before the ticket's created_at.", name)
        # The time it took is stored in seconds, in an integer column.
        if moment - given.opened_at > timedelta(seconds=MAX_ID):
            raise Invalid("Must be within 68 years of the ticket's created_at.", name)
    if given.solved_at is not None:
        if given.requester is None:
            raise Invalid("A solved ticket needs its requester's email.", "requester.email")
        if given.survey is None:
            raise Invalid("Name the CSAT survey that solved tickets are sent.", "survey")
    return given


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    return int((end - start).total_seconds()) if start and end else None


def figures(given: TicketInput) -> dict[str, Any]:
    """First response time, resolution time and whether it was solved in one touch."""
    one_touch = None
    if given.solved_at is not None and given.contacts is not None:
        one_touch = given.contacts <= 1 and given.reopens == 0
    return {
        "first_response_seconds": _seconds(given.opened_at, given.first_response_at),
        "resolution_seconds": _seconds(given.opened_at, given.solved_at),
        "one_touch": one_touch,
    }


def _check_survey(workspace: Workspace, public_id: str) -> None:
    survey = live_survey(workspace, public_id, "email")
    if survey.kind != "csat":
        raise Invalid(f"The survey is a {survey.kind.upper()} survey; send a CSAT one.", "survey")


def _store(workspace: Workspace, given: TicketInput) -> int:
    """Insert or update the ticket row (one statement, so twin calls cannot make two)."""
    now = utcnow()
    person = given.requester
    values: dict[str, Any] = {
        "requester_email": person.email if person else None,
        "requester_id": person.external_id if person else None,
        "requester_name": person.name if person else None,
        "agent": given.agent,
        "team": given.team,
        "plan": given.plan,
        "opened_at": given.opened_at,
        "first_response_at": given.first_response_at,
        "solved_at": given.solved_at,
        "reopens": given.reopens,
        "contacts": given.contacts,
        "context": given.context,
        "updated_at": now,
        **figures(given),
    }
    db.session.execute(
        upsert(Ticket.__table__)
        .values(workspace_id=workspace.id, external_id=given.external_id, created_at=now, **values)
        .on_conflict_do_update(index_elements=["workspace_id", "external_id"], set_=values)
    )
    return db.session.scalar(
        in_workspace(Ticket, workspace.id, Ticket.id).where(Ticket.external_id == given.external_id)
    )


def _claim_invite(workspace: Workspace, ticket_id: int, agent: str | None) -> bool:
    """Whether this call is the one that makes the ticket's invite (at most one ever does)."""
    claimed = db.session.execute(
        update(Ticket)
        .where(
            owned_by(Ticket, workspace.id),
            Ticket.id == ticket_id,
            Ticket.invite_requested_at.is_(None),
        )
        .values(invite_requested_at=utcnow(), solved_by=agent)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def _invite(workspace: Workspace, ticket_id: int, given: TicketInput) -> EmailInvite:
    assert given.requester is not None and given.solved_at is not None and given.survey
    delay = timedelta(hours=int(current_app.config["FEEDBACK_HELPDESK_DELAY_HOURS"]))
    context = {
        k: v
        for k, v in {
            **given.context,
            "agent": given.agent,
            "team": given.team,
            "plan": given.plan,
            "ticket_id": given.external_id,
        }.items()
        if v
    }
    person = InviteInput(
        email=given.requester.email,
        external_id=given.requester.external_id,
        name=given.requester.name,
        context=context,
    )
    try:
        [invite] = create_invites(workspace, given.survey, [person], given.solved_at + delay)
    except Exception:
        # Let a retry of this call make the invite.
        with writing():
            db.session.execute(
                update(Ticket)
                .where(owned_by(Ticket, workspace.id), Ticket.id == ticket_id)
                .values(invite_requested_at=None, solved_by=None)
            )
            db.session.commit()
        raise
    with writing():
        db.session.execute(
            update(Ticket)
            .where(owned_by(Ticket, workspace.id), Ticket.id == ticket_id)
            .values(invite_id=invite.id)
        )
        db.session.commit()
    log.info("ticket %s: CSAT invite %s (%s)", given.external_id, invite.id, invite.status)
    return invite


def record_ticket(workspace: Workspace, payload: Any) -> tuple[Ticket, bool]:
    """Store a ticket (a retry updates it) and, once solved, schedule its one CSAT invite.

    The agent credited is the one who solved it: a later call naming another agent changes
    the ticket, never the invite.
    """
    given = parse_ticket(payload)
    stored = db.session.scalar(
        in_workspace(Ticket, workspace.id).where(Ticket.external_id == given.external_id)
    )
    existed = stored is not None
    given = completed(given, stored)
    if given.solved_at is not None and given.survey:
        _check_survey(workspace, given.survey)
    with writing():
        ticket_id = _store(workspace, given)
        claimed = given.solved_at is not None and _claim_invite(workspace, ticket_id, given.agent)
        db.session.commit()
    if claimed:
        _invite(workspace, ticket_id, given)
    ticket = db.session.scalars(
        select(Ticket)
        .where(owned_by(Ticket, workspace.id), Ticket.id == ticket_id)
        .execution_options(populate_existing=True)
    ).one()
    return ticket, not existed
