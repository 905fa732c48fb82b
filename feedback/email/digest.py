"""The weekly digest: each KPI of the week just ended against the week before, the top themes
and a few detractor comments, mailed to a workspace's owners and admins on Monday from 08:00
in the workspace's timezone. A DigestLog row, inserted before any mail leaves, makes it once
per workspace per week, however many workers run.

A member who owns KPIs gets it too, with their weekly review above the rest: `reviews` gives
each owner's part by user id (the scorecard's, passed in by the jobs: it sits above this
domain). Those who own nothing get the digest as it always was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, or_, select, update

from feedback.accounts.models import Membership, User, Workspace
from feedback.database import owned_by, utcnow
from feedback.email.models import DigestLog
from feedback.errors import Invalid
from feedback.extensions import db, upsert, writing
from feedback.mail import Mailer, MailError, notice
from feedback.metrics import formulas, sums
from feedback.metrics.sums import KINDS
from feedback.periods import zone
from feedback.responses.models import Response
from feedback.surveys.kinds import LOW_BAND
from feedback.themes.taxonomy import theme_summary

log = logging.getLogger(__name__)

SEND_AT = time(8, 0)
RECIPIENT_ROLES = ("owner", "admin")
TOP_THEMES = 5
DETRACTOR_COMMENTS = 5
EXCERPT = 400
# Each KPI owner's part of a workspace's digest, by their user id.
Reviews = Callable[[Workspace], dict[int, dict[str, Any]]]


def _zone(workspace: Workspace) -> ZoneInfo:
    try:
        return zone(workspace.timezone)
    except Invalid:
        return ZoneInfo("UTC")


def _utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def week_of(workspace: Workspace, now: datetime) -> tuple[date, datetime]:
    """The Monday (local date) of the week `now` (naive UTC) falls in, and when that week's
    digest is due (Monday 08:00 local, as naive UTC)."""
    tz = _zone(workspace)
    local = now.replace(tzinfo=UTC).astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    return monday, _utc(datetime.combine(monday, SEND_AT, tzinfo=tz))


def due_digests(now: datetime | None = None) -> list[tuple[Workspace, date]]:
    """Workspaces whose digest for this week is due and not yet sent."""
    now = now or utcnow()
    workspaces = list(db.session.scalars(select(Workspace).order_by(Workspace.id)))
    sent = set(
        db.session.execute(
            select(DigestLog.workspace_id, DigestLog.week).where(
                DigestLog.week >= (now - timedelta(days=8)).date()
            )
        ).all()
    )
    due = []
    for workspace in workspaces:
        monday, send_at = week_of(workspace, now)
        # A workspace created after this week's send time waits for next Monday.
        if now >= send_at and workspace.created_at < send_at and (workspace.id, monday) not in sent:
            due.append((workspace, monday))
    return due


def _claim(workspace: Workspace, monday: date) -> bool:
    """Record the digest as sent before sending it: only one worker's insert succeeds."""
    with writing():
        inserted = db.session.execute(
            upsert(DigestLog.__table__)
            .values(workspace_id=workspace.id, week=monday, recipients=0, sent_at=utcnow())
            .on_conflict_do_nothing(index_elements=["workspace_id", "week"])
            .returning(DigestLog.__table__.c.id)
        ).scalar()
        db.session.commit()
    return inserted is not None


class Recipient(NamedTuple):
    name: str
    email: str
    user_id: int
    role: str


def recipients(workspace: Workspace, owners: Collection[int] = ()) -> list[Recipient]:
    """The workspace's owners and admins, and the members among `owners` (user ids)."""
    wanted = Membership.role.in_(RECIPIENT_ROLES)
    if owners:
        wanted = or_(wanted, Membership.user_id.in_(list(owners)))
    rows = db.session.execute(
        select(User.name, User.email, User.id, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(owned_by(Membership, workspace.id), wanted)
        .order_by(User.email)
    )
    return [Recipient(name or "", email, user_id, role) for name, email, user_id, role in rows]


@dataclass
class Week:
    start: datetime
    end: datetime
    label: str


def _weeks(workspace: Workspace, monday: date) -> tuple[Week, Week]:
    """The week just ended and the one before it, as naive UTC bounds."""
    tz = _zone(workspace)

    def week(first: date) -> Week:
        start = _utc(datetime.combine(first, time(0), tzinfo=tz))
        end = _utc(datetime.combine(first + timedelta(days=7), time(0), tzinfo=tz))
        last = first + timedelta(days=6)
        return Week(start, end, f"{first:%d %b} - {last:%d %b %Y}")

    return week(monday - timedelta(days=7)), week(monday - timedelta(days=14))


def _kpis(workspace: Workspace, this: Week, before: Week) -> list[dict[str, Any]]:
    rows = []
    for kind in KINDS:
        scope = sums.Scope(workspace.id, kind)
        current = formulas.summary(scope.between(this.start, this.end), workspace.low_n)
        previous = formulas.summary(scope.between(before.start, before.end), workspace.low_n)
        if current["n"] == 0 and previous["n"] == 0:
            continue
        rows.append(
            {
                "kind": kind.upper(),
                "value": current["value"],
                "n": current["n"],
                "previous": previous["value"],
                "previous_n": previous["n"],
                "comparison": formulas.compare(kind, current, previous),
                "low_confidence": current["low_confidence"],
            }
        )
    return rows


def _detractors(workspace: Workspace, this: Week) -> list[dict[str, Any]]:
    low_bands = tuple(set(LOW_BAND.values()))
    rows = db.session.execute(
        select(Response.kind, Response.score, Response.comment, Response.id)
        .where(
            owned_by(Response, workspace.id),
            Response.submitted_at >= this.start,
            Response.submitted_at < this.end,
            Response.band.in_(low_bands),
            Response.comment.is_not(None),
        )
        .order_by(Response.submitted_at.desc())
        .limit(DETRACTOR_COMMENTS)
    )
    out = []
    for kind, score, comment, response_id in rows:
        text = " ".join(comment.split())
        out.append(
            {
                "kind": kind.upper(),
                "score": score,
                "comment": text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…",
                "url": f"{base_url()}/app/responses/{response_id}",
            }
        )
    return out


def base_url() -> str:
    return str(current_app.config["FEEDBACK_BASE_URL"]).rstrip("/")


def digest_values(workspace: Workspace, monday: date) -> dict[str, Any]:
    """What the digest templates show."""
    this, before = _weeks(workspace, monday)
    themes = theme_summary(
        workspace,
        [
            owned_by(Response, workspace.id),
            Response.submitted_at >= this.start,
            Response.submitted_at < this.end,
        ],
    )
    return {
        "workspace": workspace,
        "week": this,
        "previous_week": before,
        "kpis": _kpis(workspace, this, before),
        "themes": [t for t in themes["themes"] if t["mentions"]][:TOP_THEMES],
        "detractors": _detractors(workspace, this),
        "dashboard_url": f"{base_url()}/app/",
    }


def compose_digest(
    values: dict[str, Any], to: tuple[str, str], review: dict[str, Any] | None = None
) -> EmailMessage:
    """The digest to `to` (name, email), with their weekly review when they own KPIs."""
    workspace = values["workspace"]
    what = "your weekly review" if review else "your week in feedback"
    subject = f"{workspace.name}: {what} ({values['week'].label})"
    return notice(subject, to, "digest", {**values, "review": review})


def _reviews(workspace: Workspace, reviews: Reviews | None) -> dict[int, dict[str, Any]]:
    if reviews is None:
        return {}
    try:
        return reviews(workspace)
    except Exception:
        # The reviews come on top: when they fail, everyone still gets the digest.
        db.session.rollback()
        log.exception("weekly reviews of %s failed; the digest goes without them", workspace.slug)
        return {}


def send_digest(
    workspace: Workspace, monday: date, mailer: Mailer, reviews: Reviews | None = None
) -> int:
    """Send this week's digest of one workspace, once; the number of mails sent."""
    if not _claim(workspace, monday):
        return 0
    parts = _reviews(workspace, reviews)
    people = recipients(workspace, parts.keys())
    values = digest_values(workspace, monday) if people else {}
    sent = 0
    for person in people:
        try:
            mailer.send(compose_digest(values, person, parts.get(person.user_id)))
            sent += 1
        except MailError as exc:
            log.warning("digest of %s to %s failed: %s", workspace.slug, person[1], exc)
    with writing():
        if people and sent == 0:
            # Nobody got it: let the next run try again.
            db.session.execute(
                delete(DigestLog).where(owned_by(DigestLog, workspace.id), DigestLog.week == monday)
            )
        else:
            db.session.execute(
                update(DigestLog)
                .where(owned_by(DigestLog, workspace.id), DigestLog.week == monday)
                .values(recipients=sent)
            )
        db.session.commit()
    return sent


def send_due_digests(now: datetime | None = None, reviews: Reviews | None = None) -> int:
    """Send every digest that is due, with each KPI owner's review from `reviews`; the number
    of mails sent."""
    mailer = Mailer(current_app.config)
    if not mailer.configured:
        return 0
    total = 0
    with mailer:
        for workspace, monday in due_digests(now):
            total += send_digest(workspace, monday, mailer, reviews)
    return total
