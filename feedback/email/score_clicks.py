"""One click on a score in a mail answers; a link scanner's clicks do not.

Mail providers' scanners open every link of a message, some in a real browser. The page of a
score link, once a browser runs its script, reports that it was shown (`score_link_opened`);
a request that runs no script (a plain GET, HEAD, a prefetch) reports nothing. The rule lives
in `after_open`: a score counts once FEEDBACK_SCORE_CLICK_SECONDS have passed without another
score of the same mail being opened; different scores of one mail opened within that window
are a scanner at work, and none of them counts. `count_clicks` (a job) then records the score.
A form sent from the page counts at once and always wins: no click changes it afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from feedback.database import utcnow
from feedback.email import invites
from feedback.email.models import EmailInvite
from feedback.errors import FeedbackError
from feedback.extensions import db, writing
from feedback.responses.recording import record_response
from feedback.surveys.models import Survey

log = logging.getLogger(__name__)

BATCH = 50


@dataclass(frozen=True)
class Click:
    """The last score link of a mail that a browser showed: its score, when, and its state
    ("pending" until the window has passed, "doubted" for a scanner, "counted" once recorded)."""

    score: int
    at: datetime
    state: str


def after_open(last: Click | None, score: int, now: datetime, window: timedelta) -> Click:
    """What a mail remembers once a browser showed the page of its link for `score`."""
    recent = last is not None and now - last.at < window
    if last is not None and recent and (last.state == "doubted" or last.score != score):
        # Several scores of one mail within seconds: a scanner opening every link. The doubt
        # lasts a full window after the last of them.
        return Click(score, now, "doubted")
    if last is not None and last.score == score and last.state != "doubted":
        return last  # the same link again (a reload): it keeps its place in time
    return Click(score, now, "pending")


def window() -> timedelta:
    return timedelta(seconds=int(current_app.config["FEEDBACK_SCORE_CLICK_SECONDS"]))


def _last(row: Any) -> Click | None:
    if row.click_state is None or row.click_at is None or row.click_score is None:
        return None
    return Click(row.click_score, row.click_at, row.click_state)


def score_link_opened(invite: EmailInvite, score: int) -> bool:
    """Note that a browser showed the page of a score link; whether the score is to count."""
    with writing():
        # Locked: a scanner opens the links side by side, and each must see the one before.
        row = db.session.execute(
            select(
                EmailInvite.answered_via,
                EmailInvite.click_score,
                EmailInvite.click_at,
                EmailInvite.click_state,
            )
            .where(EmailInvite.id == invite.id)
            .with_for_update()
        ).one()
        if row.answered_via == "form":
            db.session.commit()
            return False
        click = after_open(_last(row), score, utcnow(), window())
        db.session.execute(
            update(EmailInvite)
            .where(EmailInvite.id == invite.id)
            .values(click_score=click.score, click_at=click.at, click_state=click.state)
        )
        db.session.commit()
    return click.state != "doubted"


def form_sent(invite: EmailInvite) -> None:
    """A person sent the page's form: it wins over any click, waiting or to come.

    Called before the form's answer is recorded; on PostgreSQL it waits for a click being
    counted at that moment, so the form's answer is written after it.
    """
    with writing():
        db.session.execute(
            update(EmailInvite)
            .where(EmailInvite.id == invite.id)
            .values(answered_via="form", click_state=None)
        )
        db.session.commit()


def count_clicks(now: datetime | None = None) -> int:
    """Record the clicked scores whose window has passed; how many were recorded."""
    now = now or utcnow()
    due = EmailInvite.click_state == "pending", EmailInvite.click_at <= now - window()
    ids = list(
        db.session.scalars(
            select(EmailInvite.id).where(*due).order_by(EmailInvite.click_at).limit(BATCH)
        )
    )
    db.session.commit()
    return sum(_count(invite_id, due, now) for invite_id in ids)


def _count(invite_id: int, due: tuple[Any, ...], now: datetime) -> int:
    with writing():
        # Locked until the response is written (PostgreSQL), so a form sent meanwhile waits
        # and wins; another worker skips it.
        invite = db.session.scalar(
            select(EmailInvite)
            .where(EmailInvite.id == invite_id, *due)
            .with_for_update(skip_locked=True)
        )
        if invite is None:
            db.session.commit()
            return 0
        survey = db.session.get(Survey, invite.survey_id)
        invite.click_state = "counted"
        invite.answered_via = "click"
        invite.answered_at = invite.answered_at or now
        invite.status = "answered"
        payload = {"survey": survey.public_id, "score": invite.click_score}
        try:
            # Commits the invite's new state with the response.
            record_response(
                survey.workspace,
                invite.client_id,
                {**payload, **invites.response_fields(invite)},
                "email",
                verified=True,  # the invite's own address, behind its signed link
            )
        except FeedbackError as exc:
            # A survey paused or taken off email since the click: the click is dropped.
            db.session.rollback()
            log.info("clicked score of invite %s not counted: %s", invite_id, exc.message)
            db.session.execute(
                update(EmailInvite).where(EmailInvite.id == invite_id).values(click_state=None)
            )
            db.session.commit()
            return 0
    return 1
