"""Sending invites and reminders: claimed in a short transaction, then mailed.

A batch is claimed with a token (FOR UPDATE SKIP LOCKED on PostgreSQL, the write lock on
SQLite) and `sent_at` is set in the same transaction, before any mail leaves: two workers never
send one invite twice. A refused or unreachable server is recorded and retried with back-off.
A worker that dies mid-batch leaves its claim; after FEEDBACK_EMAIL_CLAIM_SECONDS the invite (or
its reminder) is claimed again, so a crash right after the server took a message can, rarely,
send it twice: with its first Message-ID, which mail stores show once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select, update

from feedback.accounts.models import Workspace
from feedback.claims import abandoned, claim
from feedback.database import utcnow
from feedback.email.compose import compose_invite
from feedback.email.models import EmailInvite, Unsubscribe
from feedback.extensions import db, writing
from feedback.mail import MAX_ATTEMPTS, Mailer, MailError, retry_delay
from feedback.responses.respondents import Contacts, RespondentInput, identify, last_contacts
from feedback.surveys.models import Survey
from feedback.surveys.targeting import cooldown_reason

log = logging.getLogger(__name__)

BATCH = 50


def _due_invites(now: datetime) -> Any:
    waiting = and_(
        EmailInvite.status == "scheduled",
        EmailInvite.scheduled_at <= now,
        or_(EmailInvite.next_attempt_at.is_(None), EmailInvite.next_attempt_at <= now),
    )
    taken = and_(
        EmailInvite.status == "sending",
        abandoned(EmailInvite.claimed_at, "FEEDBACK_EMAIL_CLAIM_SECONDS", now),
    )
    return or_(waiting, taken)


def _due_reminders(now: datetime) -> Any:
    days = int(current_app.config["FEEDBACK_REMINDER_DAYS"])
    valid = int(current_app.config["FEEDBACK_INVITE_DAYS"])
    waiting = and_(
        EmailInvite.reminded_at.is_(None),
        or_(EmailInvite.next_attempt_at.is_(None), EmailInvite.next_attempt_at <= now),
    )
    # Still claimed: a worker died sending the reminder (a sent invite keeps no claim).
    taken = and_(
        EmailInvite.claim.is_not(None),
        abandoned(EmailInvite.claimed_at, "FEEDBACK_EMAIL_CLAIM_SECONDS", now),
    )
    return and_(
        EmailInvite.status == "sent",
        EmailInvite.answered_at.is_(None),
        EmailInvite.sent_at <= now - timedelta(days=days),
        # A reminder for an invite whose links have expired would only annoy.
        EmailInvite.sent_at > now - timedelta(days=valid),
        or_(waiting, taken),
    )


def _claim(condition: Any, values: dict[str, Any], limit: int) -> tuple[str, list[EmailInvite]]:
    order = [EmailInvite.scheduled_at, EmailInvite.id]
    token, ids = claim(EmailInvite, condition, order, limit, "claim", values)
    if not ids:
        return token, []
    claimed = db.session.scalars(
        select(EmailInvite).where(EmailInvite.claim == token).order_by(EmailInvite.id)
    ).all()
    return token, list(claimed)


@dataclass
class _Batch:
    workspaces: dict[int, Workspace]
    surveys: dict[int, Survey]
    unsubscribed: set[tuple[int, str]]


def _load(invites: list[EmailInvite]) -> _Batch:
    """What sending this batch needs, in three queries whatever its size."""
    ws_ids = {i.workspace_id for i in invites}
    emails = {i.email for i in invites}
    workspaces = db.session.scalars(select(Workspace).where(Workspace.id.in_(ws_ids)))
    surveys = db.session.scalars(
        select(Survey).where(
            Survey.workspace_id.in_(ws_ids), Survey.id.in_({i.survey_id for i in invites})
        )
    )
    unsubscribed = db.session.execute(
        select(Unsubscribe.workspace_id, Unsubscribe.email).where(
            Unsubscribe.workspace_id.in_(ws_ids), Unsubscribe.email.in_(emails)
        )
    )
    return _Batch(
        {w.id: w for w in workspaces},
        {s.id: s for s in surveys},
        {(ws, email) for ws, email in unsubscribed},
    )


def _why_not(invite: EmailInvite, batch: _Batch, contacts: Contacts | None) -> str | None:
    """Why this invite may not go out now (None when it may)."""
    survey = batch.surveys.get(invite.survey_id)
    if (invite.workspace_id, invite.email) in batch.unsubscribed:
        return "the address unsubscribed"
    if survey is None or survey.status != "active" or "email" not in survey.channels:
        return "the survey no longer takes answers by email"
    # A re-survey after a resolved case ("did we fix it?") is the one invite allowed inside
    # the recontact wait; an unsubscribe, above, still stops it.
    if contacts is None or invite.case_id is not None:
        return None
    contact = contacts.last(invite.workspace_id, invite.external_id, invite.email)
    workspace = batch.workspaces[invite.workspace_id]
    return cooldown_reason(contact, utcnow(), workspace.recontact_days)


def _finish(invite: EmailInvite, token: str, shown: Workspace | None = None, **values: Any) -> None:
    """Store an invite's outcome, only if this worker still holds its claim; with `shown`, note
    the person surveyed in the same transaction.

    One transaction, so a worker killed after the mail left records both or neither: a person
    noted shown by an invite still "sending" would put its own resend into the recontact wait.
    """
    with writing():
        if shown is not None:
            person = RespondentInput(invite.external_id, invite.email, {}, verified=True)
            values["respondent_id"] = identify(shown, person, "shown")
        db.session.execute(
            update(EmailInvite)
            .where(EmailInvite.id == invite.id, EmailInvite.claim == token)
            .values(claim=None, **values)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def _failed(invite: EmailInvite, token: str, error: MailError, reminder: bool) -> None:
    attempts = invite.attempts + 1
    give_up = attempts >= MAX_ATTEMPTS
    log.warning("mail to invite %s failed (attempt %s): %s", invite.id, attempts, error)
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_error": str(error)[:2000],
        "next_attempt_at": None if give_up else utcnow() + retry_delay(attempts),
    }
    if reminder:
        # Giving up on a reminder keeps reminded_at set, so it is not tried again.
        values["reminded_at"] = invite.reminded_at if give_up else None
    else:
        values.update(status="failed" if give_up else "scheduled", sent_at=None)
    _finish(invite, token, **values)


def _send_batch(token: str, invites: list[EmailInvite], mailer: Mailer, reminder: bool) -> int:
    batch = _load(invites)
    people = ((i.workspace_id, i.external_id, i.email) for i in invites)
    contacts = None if reminder else last_contacts(people)
    sent = 0
    for invite in invites:
        reason = _why_not(invite, batch, contacts)
        if reason is not None:
            log.info("invite %s: no %s: %s", invite.id, "reminder" if reminder else "mail", reason)
            if reminder:
                # The invite went out; only its reminder is dropped (reminded_at stays set).
                _finish(invite, token, suppressed_reason=f"no reminder: {reason}")
            else:
                _finish(invite, token, status="suppressed", suppressed_reason=reason, sent_at=None)
            continue
        workspace = batch.workspaces[invite.workspace_id]
        message = compose_invite(invite, batch.surveys[invite.survey_id], workspace, reminder)
        try:
            mailer.send(message)
        except MailError as exc:
            _failed(invite, token, exc, reminder)
            continue
        sent += 1
        values: dict[str, Any] = {"last_error": None, "next_attempt_at": None}
        if reminder:
            _finish(invite, token, **values)
        else:
            # An email counts as a survey shown: the workspace-wide wait starts now.
            _finish(invite, token, shown=workspace, status="sent", **values)
    return sent


def send_due_invites(limit: int = BATCH) -> int:
    """Send the invites whose time has come; the number sent."""
    mailer = Mailer(current_app.config)
    if not mailer.configured:
        return 0
    now = utcnow()
    token, invites = _claim(
        _due_invites(now), {"status": "sending", "claimed_at": now, "sent_at": now}, limit
    )
    if not invites:
        return 0
    with mailer:
        return _send_batch(token, invites, mailer, reminder=False)


def send_reminders(limit: int = BATCH) -> int:
    """One reminder per invite, FEEDBACK_REMINDER_DAYS after it was sent, if still unanswered."""
    mailer = Mailer(current_app.config)
    if not mailer.configured:
        return 0
    now = utcnow()
    token, invites = _claim(_due_reminders(now), {"claimed_at": now, "reminded_at": now}, limit)
    if not invites:
        return 0
    with mailer:
        return _send_batch(token, invites, mailer, reminder=True)
