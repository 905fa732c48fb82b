"""Delighted's read-only lists and figures: metrics, unsubscribes and bounces."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func

from feedback.accounts.models import Workspace
from feedback.database import in_workspace
from feedback.delighted import params, shapes
from feedback.delighted.people import people_by_email, trend_survey
from feedback.email import invites
from feedback.email.models import EmailInvite, Unsubscribe
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.mail import clean_email
from feedback.metrics.formulas import public, summary
from feedback.metrics.sums import Scope

METRICS = ("since", "until", "trend")
PAGED = ("since", "until", "page", "per_page")
UNSUBSCRIBE = ("person_email",)


def metrics(workspace: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """The NPS of every NPS response from since to until (both included), of one survey when
    `trend` names it."""
    params.known(args, METRICS, {})
    span = params.window(args)
    surveys = None
    if args.get("trend") is not None:
        survey = trend_survey(workspace, args["trend"])
        if survey.kind != "nps":
            raise Invalid(f"The survey {survey.public_id} asks {survey.kind}, not NPS.", "trend")
        surveys = (survey.id,)
    scope = Scope(workspace.id, "nps", span.start, span.end, surveys)
    return shapes.metrics(public(summary(scope, int(current_app.config["FEEDBACK_LOW_N"]))))


def unsubscribe(workspace: Workspace, body: Any) -> None:
    params.known(body if isinstance(body, dict) else {}, UNSUBSCRIBE, {})
    if not isinstance(body, dict):
        raise Invalid("Send an object with person_email.")
    invites.unsubscribe(workspace.id, clean_email(body.get("person_email"), "person_email"), "api")


def _paged(args: dict[str, Any], column: Any, row_id: Any, stmt: Any) -> Any:
    params.known(args, PAGED, {})
    span = params.window(args)
    page = params.page(args)
    if span.start is not None:
        stmt = stmt.where(column >= span.start)
    if span.end is not None:
        stmt = stmt.where(column < span.end)
    return list(
        db.session.scalars(stmt.order_by(column, row_id).offset(page.offset).limit(page.size))
    )


def unsubscribes(workspace: Workspace, args: dict[str, Any]) -> list[dict[str, Any]]:
    stmt = in_workspace(Unsubscribe, workspace.id)
    rows = _paged(args, Unsubscribe.created_at, Unsubscribe.id, stmt)
    people = people_by_email(workspace, {row.email for row in rows})
    return [
        shapes.address_event(row.email, people.get(row.email), "unsubscribed_at", row.created_at)
        for row in rows
    ]


def bounces(workspace: Workspace, args: dict[str, Any]) -> list[dict[str, Any]]:
    """Invites whose mail could not be delivered after every retry."""
    failed = in_workspace(EmailInvite, workspace.id).where(EmailInvite.status == "failed")
    # The last attempt's time: when the mail finally failed.
    bounced_at = func.coalesce(EmailInvite.claimed_at, EmailInvite.scheduled_at)
    rows = _paged(args, bounced_at, EmailInvite.id, failed)
    people = people_by_email(workspace, {row.email for row in rows})
    return [
        shapes.address_event(
            row.email, people.get(row.email), "bounced_at", row.claimed_at or row.scheduled_at
        )
        for row in rows
    ]
