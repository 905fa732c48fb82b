"""Churn and renewal events: what a respondent's account did after they answered, as the CRM
or billing system reports it. The money figures (feedback/metrics/money.py) read them; a
respondent's export lists them and their erasure removes them (respondents.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from feedback.accounts.models import Workspace
from feedback.database import use_case, utcnow
from feedback.errors import Invalid, object_of
from feedback.extensions import db
from feedback.responses.models import RESPONDENT_EVENTS, RespondentEvent
from feedback.responses.respondents import get_respondent

# How far ahead of the server's clock a reported time may be: clocks drift, events do not
# happen in the future.
CLOCK_SLACK = timedelta(minutes=5)
EARLIEST = datetime(1900, 1, 1)


def parse_at(value: Any, field: str = "at") -> datetime:
    """When an event happened: an ISO 8601 date-time (UTC when it names no offset), in the past;
    now when not given."""
    if value is None:
        return utcnow()
    if not isinstance(value, str) or len(value) > 40:
        raise Invalid("Must be an ISO 8601 date-time such as 2026-03-01T09:00:00Z.", field)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            "Must be an ISO 8601 date-time such as 2026-03-01T09:00:00Z.", field
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    if parsed < EARLIEST:
        raise Invalid("Must be from 1900 on.", field)
    if parsed > utcnow() + CLOCK_SLACK:
        raise Invalid("Must not be in the future.", field)
    return parsed


@use_case
def record_event(workspace: Workspace, external_id: str, payload: Any) -> dict[str, Any]:
    """Note that a respondent's account churned or renewed (`{"event", "at"}`)."""
    payload = object_of(payload, ("event", "at"))
    event = payload.get("event")
    if event not in RESPONDENT_EVENTS:
        raise Invalid(f"Must be one of: {', '.join(RESPONDENT_EVENTS)}.", "event")
    at = parse_at(payload.get("at"))
    respondent = get_respondent(workspace, external_id)
    row = RespondentEvent(
        workspace_id=workspace.id, respondent_id=respondent.id, event=event, at=at
    )
    db.session.add(row)
    db.session.flush()
    return row.to_dict(respondent.external_id)
