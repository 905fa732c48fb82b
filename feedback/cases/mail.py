"""Replies from a case mailed to the respondent, and the signed link that brings the answer back.

A batch of pending replies is claimed with a token and marked "sending" before any mail
leaves (FOR UPDATE SKIP LOCKED on PostgreSQL, the write lock on SQLite), so two workers never
take the same reply. A refused or unreachable server is retried with back-off, like invites.
A reply whose worker died while sending is sent again once its claim is abandoned
(FEEDBACK_EMAIL_CLAIM_SECONDS), as invites are, with the Message-ID it always carries: if the
first copy did arrive, mail stores that drop repeated ids show it once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import selectinload

from feedback import signing
from feedback.accounts.models import Workspace
from feedback.cases import work as cases
from feedback.cases.models import Case, CaseEvent, CaseNote
from feedback.cases.reply_mail import BadAddress, answer_url, compose_case_reply
from feedback.claims import abandoned, claim
from feedback.database import in_workspace, use_case, utcnow
from feedback.errors import NotFound
from feedback.extensions import db, writing
from feedback.mail import MAX_ATTEMPTS, Mailer, MailError, retry_delay

log = logging.getLogger(__name__)

BATCH = 50
_ANSWER_SALT = "feedback.case.answer"
UNVERIFIED = "Not sent: this is no longer the respondent's verified email address."


# -- the answer link ------------------------------------------------------------------------


def _signer() -> URLSafeTimedSerializer:
    return signing.timed_serializer(_ANSWER_SALT)


def answer_token(note: CaseNote) -> str:
    """The token of the "Answer us" link of one mailed reply."""
    return _signer().dumps([note.workspace_id, note.id])


def _read_token(token: str) -> tuple[int, int]:
    value = signing.read_link(_ANSWER_SALT, token, _answer_shape)
    return value[0], value[1]


def _answer_shape(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)


def reply_for_answer(token: str) -> tuple[Workspace, Case, CaseNote]:
    """The workspace, case and mailed reply an answer link names (a merged case's survivor)."""
    workspace_id, note_id = _read_token(token)
    note = db.session.scalar(
        in_workspace(CaseNote, workspace_id).where(CaseNote.id == note_id, CaseNote.kind == "reply")
    )
    if note is None:
        raise NotFound("This conversation no longer exists.")
    workspace = db.session.get(Workspace, workspace_id)
    case = cases.get_case(workspace, note.case_id)
    if case.status == "merged" and case.merged_into_id is not None:
        case = cases.get_case(workspace, case.merged_into_id)
    return workspace, case, note


@use_case
def answer(token: str, body: Any) -> CaseNote:
    """The respondent's answer through the link, into the case (which reopens for its owner)."""
    workspace, case, _reply = reply_for_answer(token)
    return cases.respondent_answered(workspace, case, body)


# -- sending --------------------------------------------------------------------------------


def _due(now: datetime) -> Any:
    return and_(
        CaseNote.kind == "reply",
        CaseNote.mail_status == "pending",
        or_(CaseNote.mail_next_at.is_(None), CaseNote.mail_next_at <= now),
    )


def _event(note: CaseNote, action: str, detail: dict[str, Any]) -> None:
    db.session.add(
        CaseEvent(
            workspace_id=note.workspace_id,
            case_id=note.case_id,
            actor=cases.SYSTEM.label,
            action=action,
            detail={"note": note.id, **detail},
        )
    )


def _finish(
    note: CaseNote, token: str, event: tuple[str, dict[str, Any]] | None, **values: Any
) -> None:
    """Store a reply's outcome (and its audit event) only if this worker still holds its claim."""
    with writing():
        done = db.session.execute(
            update(CaseNote)
            .where(CaseNote.id == note.id, CaseNote.mail_claim == token)
            .values(mail_claim=None, **values)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount and event is not None:
            _event(note, *event)
        db.session.commit()


def _failed(note: CaseNote, token: str, error: str, permanent: bool = False) -> None:
    attempts = note.mail_attempts + 1
    give_up = permanent or attempts >= MAX_ATTEMPTS
    log.warning(
        "reply %s of case %s failed (attempt %s): %s", note.id, note.case_id, attempts, error
    )
    values: dict[str, Any] = {"mail_attempts": attempts, "mail_error": error[:2000]}
    if give_up:
        values.update(mail_status="failed", mail_next_at=None)
        event = ("mail_failed", {"to": note.mail_to, "error": error[:300]})
        _finish(note, token, event, **values)
    else:
        values.update(mail_status="pending", mail_next_at=utcnow() + retry_delay(attempts))
        _finish(note, token, None, **values)


def _take_over_interrupted(now: datetime) -> int:
    """Replies left "sending" by a worker that stopped: pending again, to go out once more."""
    stale = and_(
        CaseNote.mail_status == "sending",
        abandoned(CaseNote.mail_next_at, "FEEDBACK_EMAIL_CLAIM_SECONDS", now),
    )
    values = {"mail_status": "pending", "mail_next_at": None}
    token, ids = claim(CaseNote, stale, [CaseNote.id], BATCH, "mail_claim", values)
    if ids:
        with writing():
            db.session.execute(
                update(CaseNote).where(CaseNote.mail_claim == token).values(mail_claim=None)
            )
            db.session.commit()
    return len(ids)


def send_case_replies(limit: int = BATCH) -> int:
    """Mail the replies written on cases; the number sent."""
    mailer = Mailer(current_app.config)
    if not mailer.configured:
        return 0
    now = utcnow()
    _take_over_interrupted(now)
    # While "sending", mail_next_at is when the claim was taken (see _take_over_interrupted).
    values = {"mail_status": "sending", "mail_next_at": now}
    order = [CaseNote.created_at, CaseNote.id]
    token, ids = claim(CaseNote, _due(now), order, limit, "mail_claim", values)
    if not ids:
        return 0
    notes = list(
        db.session.scalars(
            select(CaseNote).where(CaseNote.mail_claim == token).order_by(CaseNote.id)
        )
    )
    found = db.session.scalars(
        select(Case)
        .where(Case.id.in_({n.case_id for n in notes}))
        .options(selectinload(Case.response), selectinload(Case.respondent))
    )
    by_id = {c.id: c for c in found}
    workspaces = {
        w.id: w
        for w in db.session.scalars(
            select(Workspace).where(Workspace.id.in_({n.workspace_id for n in notes}))
        )
    }
    sent = 0
    with mailer:
        for note in notes:
            case = by_id[note.case_id]
            if note.mail_to != cases.reply_address(case):
                # Checked again as it leaves: a reply queued before the address changed (or
                # before addresses were verified) never goes to an address nobody vouches for.
                _failed(note, token, UNVERIFIED, permanent=True)
                continue
            link = answer_url(answer_token(note))
            try:
                message = compose_case_reply(
                    note, case, workspaces[note.workspace_id], case.response, link
                )
            except BadAddress as exc:
                _failed(note, token, str(exc), permanent=True)
                continue
            try:
                mailer.send(message)
            except MailError as exc:
                _failed(note, token, str(exc))
                continue
            sent += 1
            done = {"mail_status": "sent", "sent_at": utcnow(), "mail_error": None}
            _finish(note, token, ("mailed", {"to": note.mail_to}), mail_next_at=None, **done)
    return sent
