""" "Did we fix it?": one survey invite to the respondent of a resolved case, after the wait.

The invite carries the case's id; it is the one invite that goes out inside the workspace's
recontact wait (see email/delivery.py). One case never gets two: the due cases are locked
(FOR UPDATE SKIP LOCKED on PostgreSQL, the write lock on SQLite) and, once locked, checked
again for an invite in a fresh statement, which sees whatever another worker committed before.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import and_, exists, select

from feedback.cases import work as cases
from feedback.cases.models import Case
from feedback.cases.reply_mail import sendable
from feedback.database import utcnow
from feedback.email.models import EmailInvite, Unsubscribe
from feedback.extensions import db, writing
from feedback.responses.models import Respondent
from feedback.surveys.models import Survey

log = logging.getLogger(__name__)

BATCH = 50


def _due(now: Any) -> Any:
    invited = exists().where(EmailInvite.case_id == Case.id)
    return and_(
        Case.status == "resolved",
        Case.resurvey_at <= now,
        Case.survey_id.is_not(None),
        Case.respondent_id.is_not(None),
        ~invited,
    )


def _reason(case: Case, survey: Survey, unsubscribed: set[tuple[int, str]], email: str) -> Any:
    """Why this re-survey may not go out (None when it may)."""
    if (case.workspace_id, email) in unsubscribed:
        return "the address unsubscribed"
    if not sendable(email):
        return "not an address we can send to"
    if survey.status != "active" or "email" not in survey.channels:
        return "the survey no longer takes answers by email"
    return None


def send_resurveys(limit: int = BATCH) -> int:
    """Invite the respondents of resolved cases whose wait is over; the number invited.

    The invite is sent by the invite job like any other; one whose address unsubscribed, or
    whose survey stopped taking email, is stored suppressed with the reason, so it is decided
    once.
    """
    now = utcnow()
    # Respondent.email is written only by verified sources (see work.reply_address): an
    # address a public call merely claimed is on its response, and never invited.
    due = (
        select(Case.id)
        .join(Respondent, Respondent.id == Case.respondent_id)
        .where(_due(now), Respondent.email.is_not(None))
        .order_by(Case.resurvey_at, Case.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Case.__table__)
    )
    with writing():
        ids = list(db.session.scalars(due))
        if not ids:
            db.session.commit()
            return 0
        made = [
            _invite(case, person, survey, now, unsubscribed)
            for case, person, survey, unsubscribed in _untaken(ids)
        ]
        db.session.add_all([invite for _case, invite in made])
        db.session.flush()
        invited = sum(_record(case, invite) for case, invite in made)
        db.session.commit()
    return invited


def _untaken(ids: list[int]) -> list[tuple[Case, Respondent, Survey, set[tuple[int, str]]]]:
    """The locked cases no other worker invited yet, with their respondent and survey, and the
    unsubscribed addresses among them."""
    # A fresh statement, now that the rows are ours: another worker's invite shows here.
    taken = set(db.session.scalars(select(EmailInvite.case_id).where(EmailInvite.case_id.in_(ids))))
    rows = db.session.execute(
        select(Case, Respondent, Survey)
        .join(Respondent, Respondent.id == Case.respondent_id)
        .join(Survey, Survey.id == Case.survey_id)
        .where(Case.id.in_([i for i in ids if i not in taken]))
        .order_by(Case.id)
    ).all()
    unsubscribed = set(
        db.session.execute(
            select(Unsubscribe.workspace_id, Unsubscribe.email).where(
                Unsubscribe.workspace_id.in_({c.workspace_id for c, _p, _s in rows}),
                Unsubscribe.email.in_({p.email.lower() for _c, p, _s in rows}),
            )
        ).all()
    )
    return [(case, person, survey, unsubscribed) for case, person, survey in rows]


def _invite(
    case: Case, person: Respondent, survey: Survey, now: Any, unsubscribed: set[tuple[int, str]]
) -> tuple[Case, EmailInvite]:
    email = person.email.lower()
    reason = _reason(case, survey, unsubscribed, email)
    invite = EmailInvite(
        workspace_id=case.workspace_id,
        survey_id=survey.id,
        respondent_id=person.id,
        case_id=case.id,
        email=email,
        external_id=person.external_id,
        context={"case": str(case.id)},
        scheduled_at=now,
        status="suppressed" if reason else "scheduled",
        suppressed_reason=reason,
    )
    return case, invite


def _record(case: Case, invite: EmailInvite) -> int:
    """The case's trail says what was sent, or why not; 1 when an invite goes out."""
    detail = {"invite": invite.id, "to": invite.email}
    if invite.suppressed_reason:
        detail["suppressed"] = invite.suppressed_reason
        log.info("case %s: no re-survey: %s", case.id, invite.suppressed_reason)
    cases.log_event(case, "resurvey", cases.SYSTEM, detail)
    return 0 if invite.suppressed_reason else 1
