"""Reading the audit log: one workspace's entries, newest first, filtered by actor, action and
time, a page at a time or all of them as CSV."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, tuple_

from feedback import cursors
from feedback.audit.models import ACTIONS, AuditEvent
from feedback.database import owned_by
from feedback.downloads import csv_lines
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.periods import midnight, zone

FILTERS = ("actor", "action", "since", "until")
# The id breaks ties between entries of one instant.
NEWEST_FIRST = (AuditEvent.at.desc(), AuditEvent.id.desc())
CSV_COLUMNS = [
    "id",
    "at",
    "actor",
    "actor_user_id",
    "action",
    "target",
    "changes",
    "ip",
    "user_agent",
]


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None  # naive UTC, inclusive
    until: datetime | None = None  # naive UTC, exclusive


def _moment(text: str, field: str, tz_name: str, day_end: bool) -> datetime:
    """A date (a day on the workspace's clock: `until` takes the whole day) or an ISO time
    (UTC unless it names its offset), as naive UTC."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return midnight(day + timedelta(days=1) if day_end else day, zone(tz_name))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        raise Invalid("Must be a date (2026-01-31) or an ISO 8601 time.", field) from None
    except OverflowError:  # the first or last day of year 1 or 9999, moved to UTC
        raise Invalid("Must be a time between the years 1 and 9999.", field) from None
    return moment


def parse_query(args: Mapping[str, str], tz_name: str = "UTC") -> AuditQuery:
    """The filters of a request (page or API); Invalid names the one that is wrong."""
    values = {name: (args.get(name) or "").strip() for name in FILTERS}
    if len(values["actor"]) > 320:
        raise Invalid("Must be at most 320 characters.", "actor")
    if values["action"] and values["action"] not in ACTIONS:
        raise Invalid(f"Must be one of: {', '.join(ACTIONS)}.", "action")
    since = _moment(values["since"], "since", tz_name, False) if values["since"] else None
    until = _moment(values["until"], "until", tz_name, True) if values["until"] else None
    if since and until and until <= since:
        raise Invalid("Must come after since.", "until")
    return AuditQuery(values["actor"] or None, values["action"] or None, since, until)


def _conditions(workspace_id: int, query: AuditQuery) -> list[ColumnElement[bool]]:
    found = [owned_by(AuditEvent, workspace_id)]
    if query.actor:
        found.append(func.lower(AuditEvent.actor) == query.actor.lower())
    if query.action:
        found.append(AuditEvent.action == query.action)
    if query.since:
        found.append(AuditEvent.at >= query.since)
    if query.until:
        found.append(AuditEvent.at < query.until)
    return found


def _select(workspace_id: int, query: AuditQuery) -> Select[Any]:
    return select(AuditEvent).where(*_conditions(workspace_id, query))


def list_events(
    workspace_id: int, query: AuditQuery, cursor: str | None, limit: int
) -> tuple[list[AuditEvent], str | None]:
    """Newest first, one page; the cursor names where the next page starts."""
    stmt = _select(workspace_id, query).order_by(*NEWEST_FIRST).limit(limit + 1)
    if cursor:
        stmt = stmt.where(tuple_(AuditEvent.at, AuditEvent.id) < tuple_(*cursors.decode(cursor)))
    rows = list(db.session.scalars(stmt))
    next_cursor = (
        cursors.encode(rows[limit - 1].at, rows[limit - 1].id) if len(rows) > limit else None
    )
    return rows[:limit], next_cursor


def actors(workspace_id: int) -> list[str]:
    """Everyone the workspace's log names as an actor, for the page's filter."""
    stmt = (
        select(AuditEvent.actor)
        .where(owned_by(AuditEvent, workspace_id))
        .group_by(AuditEvent.actor)
        .order_by(AuditEvent.actor)
    )
    return list(db.session.scalars(stmt))


def _csv_row(entry: dict[str, Any]) -> list[Any]:
    return [entry[column] for column in CSV_COLUMNS]


def export_csv(workspace_id: int, query: AuditQuery, batch: int = 1000) -> Iterator[str]:
    """The filtered entries as CSV, newest first, a batch at a time."""

    def batches() -> Iterator[list[list[Any]]]:
        last: tuple[datetime, int] | None = None
        while True:
            stmt = _select(workspace_id, query).order_by(*NEWEST_FIRST).limit(batch)
            if last is not None:
                stmt = stmt.where(tuple_(AuditEvent.at, AuditEvent.id) < tuple_(*last))
            rows = list(db.session.scalars(stmt))
            if not rows:
                return
            last = (rows[-1].at, rows[-1].id)
            yield [_csv_row(row.to_dict()) for row in rows]

    return csv_lines(CSV_COLUMNS, batches())
